// Issue #16, only-signed key sharing on haos's side (E2EE.md Step 5 "isolation
// policy", §E.8): haos with `[crypto] share_keys_with = cross_signed`, as
// matrix-js-sdk's OnlySignedDevicesIsolationMode, sends into an encrypted
// room of alice (js-sdk, no cross-signing yet) and bob (js-sdk,
// cross-signed).
//
//   (a) bob decrypts haos's message; alice cannot, and js-sdk says why:
//       the key was withheld from her unverified device
//       (MEGOLM_KEY_WITHHELD_FOR_UNVERIFIED_DEVICE, from haos's
//       m.room_key.withheld m.unverified, which the server saw go to her
//       device only)
//   (b) alice bootstraps cross-signing (her device signed by her
//       self-signing key); haos's next message decrypts for her, in the
//       same Megolm session (no rotation for everyone), and for bob
//
//   ./run.sh isolate.test.mjs

import { describe, before, after } from "node:test";
import assert from "node:assert/strict";
import { appendFileSync, readFileSync } from "node:fs";
import { spawnSync } from "node:child_process";
import { Homeserver, makeStepper, makeWork, setLogFile, waitFor, logLine } from "./lib/common.mjs";
import { PASSWORD, Peer, register, sessionId } from "./lib/peer.mjs";
import { Haos } from "./lib/haos.mjs";

const { DecryptionFailureCode } = await import("matrix-js-sdk/lib/crypto-api/index.js");

const work = makeWork("isolate");
setLogFile(work.log);
const hs = new Homeserver(work);
let haos = null;
const peers = {};
const st = makeStepper({ work, hs: () => hs, haos: () => haos });
const step = st.step;

const BEFORE = "only for signed devices ✓";
const AFTER = "now alice is signed too";

async function bootstrap(peer) {
    await peer.client.getCrypto().bootstrapCrossSigning({
        authUploadDeviceSigningKeys: async (makeRequest) => makeRequest({
            type: "m.login.password", password: PASSWORD,
            identifier: { type: "m.id.user", user: peer.userId },
        }),
    });
}

// The event from haos with this body, or (not decrypted) any from haos sent
// after `after` ms; null until one is there.
function haosEvent(peer, room, sender, after) {
    return peer.events(room).filter((e) => e.getSender() === sender &&
        e.getWireType() === "m.room.encrypted" && e.getTs() >= after).at(-1) ?? null;
}

// `haos run` sends text into the room (waits for the send).
function haosSend(room, text) {
    const r = haos.run(["--channel", room, `/send ${text}`]);
    assert.equal(r.status, 0, `haos run /send exited ${r.status ?? r.signal}: ${r.stderr}`);
}

// The m.room_key.withheld bodies haos PUT (from the server's request log).
async function haosWithheld(hanaId) {
    return (await hs.requests(0)).filter((q) => q.user === hanaId && q.method === "PUT" &&
        /\/sendToDevice\/m\.room_key\.withheld\//.test(q.path)).map((q) => q.body.messages);
}

describe("haos in only-signed mode withholds its keys from devices not cross-signed", { timeout: 200000 }, () => {
    let hana, haosDevice, room, first;

    before(async () => { await hs.start(); });
    after(async () => {
        for (const p of Object.values(peers)) p.stop();
        haos?.stop();
        await hs.stop();
        st.cleanup();
    });

    step("setup: alice and bob (js-sdk, bob cross-signed), hana logged in by haos in cross_signed mode, an encrypted room", 90000, async () => {
        peers.alice = new Peer(hs.url, "alice", await register(hs.url, "alice"));
        peers.bob = new Peer(hs.url, "bob", await register(hs.url, "bob"));
        hana = await register(hs.url, "hana", { inhibitLogin: true });
        await peers.alice.start();
        await peers.bob.start();
        await bootstrap(peers.bob);
        haos = new Haos(work, hs.url, hana.userId, PASSWORD);
        haos.login();
        appendFileSync(haos.cfg, "\n[crypto]\nshare_keys_with = cross_signed\n");
        const session = JSON.parse(spawnSync("sh", ["-c",
            `cat "$(find '${haos.env.XDG_DATA_HOME}' -name session.json | head -1)"`],
            { encoding: "utf8" }).stdout);
        haosDevice = session.device_id;
        room = await peers.alice.createEncryptedRoom({ name: "isolate", invite: [hana.userId, peers.bob.userId] });
        await peers.bob.acceptInvite(room);
        const r = await hs.api(session.access_token, "POST",
            `/_matrix/client/v3/join/${encodeURIComponent(room)}`, {});
        assert.equal(r.status, 200, r.text);
        const h = haos.run(["/help"]);
        assert.equal(h.status, 0, h.stderr);
        await peers.alice.waitDevices(hana.userId, [haosDevice], 20000);
        await peers.bob.waitDevices(hana.userId, [haosDevice], 20000);
        await peers.alice.waitMembership(room, peers.bob.userId, "join");
    }, { fatal: true });

    step("(a) bob (cross-signed) decrypts haos's message; alice's device is told the key is withheld (m.unverified)", 60000, async () => {
        const { alice, bob } = peers;
        const t0 = Date.now() - 5000;
        haosSend(room, BEFORE);
        first = await bob.waitBody(room, BEFORE, { sender: hana.userId, ms: 20000 });
        const ev = await waitFor("alice's copy of haos's message", 20000, () => {
            const e = haosEvent(alice, room, hana.userId, t0);
            return e && !e.isBeingDecrypted() ? e : null;
        });
        assert.equal(sessionId(ev), sessionId(first));
        await waitFor("js-sdk's reason: withheld for her unverified device", 20000, () =>
            ev.decryptionFailureReason === DecryptionFailureCode.MEGOLM_KEY_WITHHELD_FOR_UNVERIFIED_DEVICE || null,
        { describe: () => `alice: failure ${ev.isDecryptionFailure()} reason ${ev.decryptionFailureReason} ` +
            `type ${ev.getType()}` });
        assert.notEqual(ev.getContent().body, BEFORE);
        const wh = await haosWithheld(hana.userId);
        logLine("test", [`haos's withheld: ${JSON.stringify(wh)}`]);
        const to = wh.flatMap((m) => Object.entries(m).flatMap(([u, ds]) =>
            Object.entries(ds).map(([d, c]) => `${u}/${d} ${c.code} ${c.session_id}`)));
        assert.deepEqual(to, [`${alice.userId}/${alice.deviceId} m.unverified ${sessionId(first)}`]);
        assert.ok(!haos.log().includes(BEFORE), "the plaintext is in haos's log");
    }, { fatal: true });

    step("(b) alice cross-signs her device: haos's next message decrypts for her, same session", 60000, async () => {
        const { alice, bob } = peers;
        await bootstrap(alice);
        haosSend(room, AFTER);
        const ev = await alice.waitBody(room, AFTER, { sender: hana.userId, ms: 30000 });
        assert.equal(sessionId(ev), sessionId(first), "the session was not rotated for everyone");
        const evb = await bob.waitBody(room, AFTER, { sender: hana.userId, ms: 20000 });
        assert.equal(sessionId(evb), sessionId(first));
        // Told once: no second withheld for that session.
        assert.equal((await haosWithheld(hana.userId)).length, 1);
        assert.match(haos.log(), /withheld from 1 devices not cross-signed/);
        assert.ok(!readFileSync(haos.cfg, "utf8").includes("share_keys_with = all"));
    });
});
