// Issue #15's "Done when": haos's end-to-end encryption against
// matrix-js-sdk 37.5.0 (Rust crypto, in-memory store, AllDevicesIsolationMode
// set explicitly) on the test homeserver, haos's side read off its screen in
// tmux.
//
//   (a) a js-sdk user's encrypted DM is shown decrypted by haos
//   (b) haos's reply is decrypted by js-sdk; a Markdown one carries the
//       formatted_body Element would send
//   (c) an encrypted channel with three js-sdk members and haos, both ways
//   (d) a fourth js-sdk device joining later gets haos's new messages; a
//       member who left cannot decrypt what haos sends after (new session id)
//   (e) a message whose key arrives after it shows once the key arrives
//   (f) haos killed with SIGKILL and restarted still decrypts old and new
//       messages, its Olm sessions and one-time keys intact, and no
//       "unable to decrypt" on either side
//   (g) `haos run` sends encrypted; no plaintext message ever reaches the
//       server for an encrypted room
//   (h) haos's debug log holds no plaintext and no access token
//
// The setup steps (marked fatal) skip everything after them when they fail;
// a failing scenario does not stop the others.
//
//   ./run.sh e2ee.test.mjs

import { describe, before, after } from "node:test";
import assert from "node:assert/strict";
import { Homeserver, makeStepper, makeWork, setLogFile, waitFor, sleep } from "./lib/common.mjs";
import { PASSWORD, Peer, register, login, sessionId, wireEvent, exchanges } from "./lib/peer.mjs";
import { Haos } from "./lib/haos.mjs";

// What haos shows for an event it cannot decrypt yet / for good (issue #15).
const WAITING = "waiting for the key to this message";
const UNABLE = "unable to decrypt";

const work = makeWork("e2ee");
setLogFile(work.log);
const hs = new Homeserver(work);
let haos = null;
const peers = {};
const st = makeStepper({ work, hs: () => hs, haos: () => haos });
const step = st.step;

const T = {
    a: "héllo ✓ 日本語 🧪",
    b: "réponse de haos ✓ 日本語 🧪",
    md: "**gras** de haos ✓ `code` 🧪",
    md_html: "<strong>gras</strong> de haos ✓ <code>code</code> 🧪",
    e: "the key to this one comes late ✓",
    f1: "before the SIGKILL ✓",
    f2: "while haos is dead, same session ✓",
    f3: "while haos is dead, new session ✓",
    f4: "haos after its restart ✓",
    f5: "from a new device after the restart ✓",
    g: "sent by haos run ✓ 🧪",
};
for (const n of ["alice", "bob", "carol"]) T[`c_${n}`] = `channel: hello from ${n} ✓`;
T.c_haos = "channel: hello from haos ✓";
T.d1 = "channel: haos after carol's new device ✓";
T.d2 = "channel: haos after bob left ✓";

function noUnable(screen, where) {
    assert.ok(!screen.includes(UNABLE), `haos shows "${UNABLE}" ${where}`);
}

describe("haos E2EE against matrix-js-sdk (issue #15)", { timeout: 280000 }, () => {
    let hana, hanaDevice, dm, chan;
    const sess = {};

    before(async () => { await hs.start(); });
    after(async () => {
        for (const p of Object.values(peers)) p.stop();
        haos?.stop();
        await hs.stop();
        st.cleanup();
    });

    // ---------------------------------------------------------------- setup

    step("setup: alice, bob and carol on js-sdk; haos logged in as hana, running in tmux", 60000, async () => {
        for (const n of ["alice", "bob", "carol"]) peers[n] = new Peer(hs.url, n, await register(hs.url, n));
        hana = await register(hs.url, "hana", { inhibitLogin: true });
        await Promise.all(["alice", "bob", "carol"].map((n) => peers[n].start()));
        haos = new Haos(work, hs.url, hana.userId, PASSWORD);
        haos.login();
        await haos.start();
    }, { fatal: true });

    step("setup: alice's encrypted DM to hana, accepted in haos; js-sdk has haos's device keys", 40000, async () => {
        const { alice } = peers;
        dm = await alice.createEncryptedRoom({ direct: true, invite: [hana.userId] });
        await haos.waitText("alice invited you");
        haos.line("/accept");
        await haos.waitText("joined alice");
        await alice.waitMembership(dm, hana.userId, "join");
        const devs = await alice.waitDevices(hana.userId);
        assert.equal(devs.size, 1, `hana's devices: ${[...devs.keys()]}`);
        hanaDevice = [...devs.keys()][0];
    }, { fatal: true });

    step("setup: the encrypted channel interop-chan with alice, bob, carol and hana", 40000, async () => {
        const { alice, bob, carol } = peers;
        chan = await alice.createEncryptedRoom({ name: "interop-chan",
            invite: [bob.userId, carol.userId, hana.userId] });
        await Promise.all([bob.acceptInvite(chan), carol.acceptInvite(chan)]);
        await haos.waitText("interop-chan");
        haos.line("/accept interop-chan");
        await haos.waitText("joined interop-chan");
        for (const u of [bob, carol, hana]) await alice.waitMembership(chan, u.userId, "join");
        for (const p of [alice, bob, carol]) await p.waitDevices(hana.userId, [hanaDevice]);
    }, { fatal: true });

    // ------------------------------------------------------------ scenarios

    step("(a) a js-sdk user's encrypted DM is shown decrypted by haos", 30000, async () => {
        await haos.goto("alice");
        await peers.alice.send(dm, T.a);
        const screen = await haos.waitText(T.a, 20000);
        noUnable(screen, "in the DM");
    });

    step("(b) haos's reply is decrypted by js-sdk", 30000, async () => {
        await haos.goto("alice");
        haos.line(T.b);
        const ev = await peers.alice.waitBody(dm, T.b, { sender: hana.userId, ms: 20000 });
        assert.equal(ev.isDecryptionFailure(), false);
        assert.equal(ev.getContent().body, T.b);
        assert.equal(ev.getWireContent().algorithm, "m.megolm.v1.aes-sha2");
    });

    step("(b) haos's Markdown arrives in js-sdk with Element's formatted_body", 30000, async () => {
        haos.line(T.md);
        const ev = await peers.alice.waitBody(dm, T.md, { sender: hana.userId, ms: 20000 });
        assert.equal(ev.isDecryptionFailure(), false);
        assert.equal(ev.getContent().format, "org.matrix.custom.html");
        assert.equal(ev.getContent().formatted_body, T.md_html);
    });

    step("(c) encrypted channel: three js-sdk members and haos, messages both ways", 60000, async () => {
        const { alice, bob, carol } = peers;
        await haos.goto("interop-chan");
        for (const p of [alice, bob, carol]) {
            await p.send(chan, T[`c_${p.name}`]);
            noUnable(await haos.waitText(T[`c_${p.name}`], 20000), "in the channel");
        }
        haos.line(T.c_haos);
        const ids = new Set();
        for (const p of [alice, bob, carol]) {
            const ev = await p.waitBody(chan, T.c_haos, { sender: hana.userId, ms: 20000 });
            ids.add(sessionId(ev));
        }
        assert.equal(ids.size, 1, "one Megolm session for the three");
        sess.c = [...ids][0];
    });

    step("(d) a fourth js-sdk device (carol's second login) joining later gets haos's new messages", 50000, async () => {
        const { carol } = peers;
        peers.carol2 = await new Peer(hs.url, "carol2", await login(hs.url, carol.userId, "carol2")).start();
        const carol2 = peers.carol2;
        await waitFor("carol2 has the channel", 10000,
            () => carol2.client.getRoom(chan)?.getMyMembership() === "join");
        await haos.goto("interop-chan");
        haos.line(T.d1);
        for (const p of [carol2, carol, peers.alice]) {
            const ev = await p.waitBody(chan, T.d1, { sender: hana.userId, ms: 30000 });
            sess.d1 = sessionId(ev);
        }
    });

    step("(d) a member who left cannot decrypt haos's messages sent after leaving (rotated session)", 50000, async () => {
        const { alice, bob, carol } = peers;
        const before = sess.d1 ?? sess.c;
        assert.ok(before, "haos's session id before the leave is known (from (c) or (d))");
        await bob.leave(chan);
        await alice.waitMembership(chan, bob.userId, "leave");
        await haos.goto("interop-chan");
        // (named "bob", or "@bob:haos.test" while the lazy-loaded
        // member list has not brought his name)
        await haos.waitMatch(/\bbob(:haos\.test)? left/, 15000);
        haos.line(T.d2);
        const evs = [];
        for (const p of [alice, carol, peers.carol2].filter(Boolean)) {
            evs.push(await p.waitBody(chan, T.d2, { sender: hana.userId, ms: 20000 }));
        }
        const after = sessionId(evs[0]);
        assert.notEqual(after, before, "haos rotated its Megolm session when bob left");
        // bob gets the event no more; give his device the ciphertext anyway.
        const tried = await bob.tryDecrypt(wireEvent(evs[0]));
        assert.equal(tried.isDecryptionFailure(), true,
            `bob decrypted haos's message sent after he left: ${JSON.stringify(tried.getContent())}`);
        assert.notEqual(tried.getContent().body, T.d2);
    });

    step("(e) a message whose key arrives after the message is shown once the key arrives", 50000, async () => {
        const { alice } = peers;
        await haos.goto("alice");
        await hs.holdToDevice(hana.userId, hanaDevice, true);
        let released = false;
        try {
            await alice.newSession(dm);
            await alice.send(dm, T.e);
            const screen = await haos.waitText(WAITING, 20000);
            assert.ok(!screen.includes(T.e), "shown before its key arrived?");
            const r = await hs.holdToDevice(hana.userId, hanaDevice, false);
            released = true;
            assert.ok(r.released >= 1, `the room key was held: ${JSON.stringify(r)}`);
        } finally {
            if (!released) await hs.holdToDevice(hana.userId, hanaDevice, false);
        }
        noUnable(await haos.waitText(T.e, 20000), "once the key arrived");
        await haos.waitGone(WAITING, 10000);
    });

    step("(f) haos killed with SIGKILL mid-conversation and restarted decrypts old and new messages", 90000, async () => {
        const { alice } = peers;
        await haos.goto("alice");
        await alice.send(dm, T.f1);
        await haos.waitText(T.f1, 20000);            // its key is in
        const logBefore = haos.log().length;
        const failuresBefore = Object.fromEntries(Object.entries(peers).map(([n, p]) => [n, p.failures.length]));
        await haos.kill9();
        await alice.send(dm, T.f2);
        await alice.newSession(dm);
        await alice.send(dm, T.f3);                  // a new key, over the Olm session from before
        await haos.restart();
        await haos.goto("alice");
        let screen;
        for (const t of [T.a, T.f1, T.f2, T.f3]) screen = await haos.waitText(t, 20000);
        noUnable(screen, "after the restart");
        assert.ok(!screen.includes(WAITING), `haos still waits for a key after the restart:\n${screen}`);
        // haos's own outbound session survived too.
        haos.line(T.f4);
        await alice.waitBody(dm, T.f4, { sender: hana.userId, ms: 20000 });
        // A new js-sdk device claims one of the one-time keys haos made
        // before the SIGKILL: its pre-key message must decrypt.
        peers.alice3 = await new Peer(hs.url, "alice3", await login(hs.url, alice.userId, "alice3")).start();
        await waitFor("alice3 has the DM", 10000, () => peers.alice3.client.getRoom(dm));
        await peers.alice3.send(dm, T.f5);
        noUnable(await haos.waitText(T.f5, 25000), "for the new device's message");
        // Neither side: nothing in haos's log since the kill, and every
        // js-sdk failure on a haos message since then was only transient.
        const logAfter = haos.log().slice(logBefore);
        assert.ok(!/unable to decrypt/i.test(logAfter), "haos's log says it was unable to decrypt after the restart");
        for (const [n, p] of Object.entries(peers)) {
            for (const f of p.failures.slice(failuresBefore[n] ?? 0)) {
                // haos's messages from before a device logged in (alice3's
                // history) were never meant for it.
                if (f.sender !== hana.userId || f.ts < p.startedAt) continue;
                const ev = p.client.getRoom(f.roomId)?.findEventById(f.eventId);
                assert.ok(ev && !ev.isDecryptionFailure(),
                    `${n} cannot decrypt haos's ${f.eventId}: ${f.reason}`);
            }
        }
    });

    step("(g) `haos run` sends into the encrypted channel and js-sdk decrypts it", 60000, async () => {
        await haos.quit();
        const r = haos.run(["--channel", chan, `/send ${T.g}`]);
        assert.equal(r.status, 0, `haos run exited ${r.status ?? r.signal}: ${r.stderr}`);
        for (const p of [peers.alice, peers.carol]) {
            const ev = await p.waitBody(chan, T.g, { sender: hana.userId, ms: 20000 });
            assert.equal(ev.isDecryptionFailure(), false);
        }
    });

    step("(g) no plaintext m.room.message ever reached the server for the encrypted rooms", 20000, async () => {
        await sleep(500);
        const reqs = await hs.requests(0);
        const enc = [dm, chan].filter(Boolean).map(encodeURIComponent);
        const clear = reqs.filter((q) => /\/send\/m\.room\.message\//.test(q.path) &&
            enc.some((r) => q.path.includes(`/rooms/${r}/`) || q.path.includes(`/rooms/${decodeURIComponent(r)}/`)));
        assert.deepEqual(clear.map((q) => `${q.user}/${q.device} ${q.method} ${q.path}`), [],
            "plaintext m.room.message sent into an encrypted room");
        const all = reqs.map((q) => JSON.stringify(q.body ?? "")).join("\n") +
            exchanges.map((x) => x.req ?? "").join("\n");
        for (const [k, t] of Object.entries(T)) {
            assert.ok(!all.includes(t), `the plaintext of ${k} ("${t}") is in a request body`);
        }
        // And what the server stores: only m.room.encrypted for messages.
        for (const rid of [dm, chan].filter(Boolean)) {
            const m = await hs.api(peers.alice.token, "GET",
                `/_matrix/client/v3/rooms/${encodeURIComponent(rid)}/messages?dir=b&limit=200`);
            assert.equal(m.status, 200, m.text);
            const plain = m.json.chunk.filter((e) => e.type === "m.room.message");
            assert.deepEqual(plain.map((e) => `${e.sender} ${e.event_id}`), [], `plaintext events in ${rid}`);
        }
    });

    step("(h) haos's debug log holds no plaintext and no access token (E2EE.md §0.7, §E.11)", 20000, async () => {
        const log = haos.log();
        assert.ok(log.includes("debug"), "haos's log is not at debug level");
        for (const [k, t] of Object.entries(T)) {
            assert.ok(!log.includes(t), `haos's log holds the plaintext of ${k} ("${t}")`);
        }
        const token = haos.accessToken();
        assert.ok(token, "haos's session file has no access token");
        assert.ok(!log.includes(token), "haos's log holds its access token");
    });
});
