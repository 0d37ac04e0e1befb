// The interop harness itself, without anything haos has to decrypt or
// encrypt: proves that e2ee.test.mjs's failures can only be haos's crypto.
// The test homeserver, js-sdk peers with Rust crypto talking encrypted to
// each other (a second login, leaving, a room key held in transit by the
// server's /_test/to_device hook), and haos in tmux: logged in, its device
// keys seen by js-sdk, a room key shared with its device, plain messages
// both ways on its screen, SIGKILL and restart, `haos run`.
//
//   ./run.sh harness.test.mjs

import { describe, before, after } from "node:test";
import assert from "node:assert/strict";
import { Homeserver, makeStepper, makeWork, setLogFile, waitFor } from "./lib/common.mjs";
import { PASSWORD, Peer, register, login, sessionId } from "./lib/peer.mjs";
import { Haos } from "./lib/haos.mjs";

const work = makeWork("harness");
setLogFile(work.log);
const hs = new Homeserver(work);
let haos = null;
const peers = {};
const st = makeStepper({ work, hs: () => hs, haos: () => haos });
const step = st.step;

const BODY = "héllo ✓ 日本語 🧪";

// Until `peer` has a plaintext m.room.message from sender with body (for the
// unencrypted rooms of this file only).
async function waitPlain(peer, roomId, sender, body) {
    return waitFor(`${peer.name} gets "${body}" from ${sender}`, 15000, () =>
        peer.events(roomId).find((e) => e.getSender() === sender &&
            e.getType() === "m.room.message" && e.getContent().body === body));
}

describe("the interop harness (no haos crypto needed)", { timeout: 150000 }, () => {
    let hana, hanaDevice, sdkRoom, dm, lockbox;

    before(async () => { await hs.start(); });
    after(async () => {
        for (const p of Object.values(peers)) p.stop();
        haos?.stop();
        await hs.stop();
        st.cleanup();
    });

    step("js-sdk peers start; haos's user logs in with haos and the client starts in tmux", 60000, async () => {
        for (const n of ["alice", "bob"]) peers[n] = new Peer(hs.url, n, await register(hs.url, n));
        // No device for hana: the one haos's login makes is her only one.
        hana = await register(hs.url, "hana", { inhibitLogin: true });
        await Promise.all([peers.alice.start(), peers.bob.start()]);
        haos = new Haos(work, hs.url, hana.userId, PASSWORD);
        haos.login();
        await haos.start();
        assert.match(haos.screen(), /@hana:haos\.test/);
    }, { fatal: true });

    step("two js-sdk peers with Rust crypto talk encrypted through the server", 30000, async () => {
        const { alice, bob } = peers;
        sdkRoom = await alice.createEncryptedRoom({ name: "sdk only", invite: [bob.userId] });
        await bob.acceptInvite(sdkRoom);
        await alice.waitMembership(sdkRoom, bob.userId, "join");
        const id = await alice.send(sdkRoom, "sdk to sdk 1");
        const ev = await bob.waitBody(sdkRoom, "sdk to sdk 1", { sender: alice.userId });
        assert.equal(ev.getId(), id);
        assert.ok(sessionId(ev), "the wire content names a Megolm session");
    });

    step("a room key held in transit (/_test/to_device) arrives late; js-sdk then decrypts", 30000, async () => {
        const { alice, bob } = peers;
        await hs.holdToDevice(bob.userId, bob.deviceId, true);
        let id;
        try {
            await alice.newSession(sdkRoom);
            id = await alice.send(sdkRoom, "sdk to sdk, key late");
            await waitFor("bob has the event but not its key", 10000, () => {
                const e = bob.events(sdkRoom).find((x) => x.getId() === id);
                return e && e.isDecryptionFailure();
            });
        } finally {
            const r = await hs.holdToDevice(bob.userId, bob.deviceId, false);
            assert.ok(r.released >= 1, `the held room key was released: ${JSON.stringify(r)}`);
        }
        const ev = await bob.waitBody(sdkRoom, "sdk to sdk, key late", { sender: alice.userId });
        assert.equal(ev.getId(), id);
    });

    step("a second login of alice; bob sees the new device; bob leaves", 30000, async () => {
        const { alice, bob } = peers;
        peers.alice2 = await new Peer(hs.url, "alice2", await login(hs.url, alice.userId, "alice2")).start();
        await bob.waitDevices(alice.userId, [alice.deviceId, peers.alice2.deviceId]);
        await bob.leave(sdkRoom);
        await alice.waitMembership(sdkRoom, bob.userId, "leave");
    });

    step("alice's plain DM invite: haos accepts it and shows her message on screen", 40000, async () => {
        const { alice } = peers;
        const r = await alice.client.createRoom({ is_direct: true, preset: "trusted_private_chat",
            invite: [hana.userId] });
        dm = r.room_id;
        await haos.waitText("alice invited you");
        haos.line("/accept");
        await haos.waitText("joined alice");
        await alice.waitMembership(dm, hana.userId, "join");
        await haos.goto("alice");
        await alice.send(dm, BODY);
        await haos.waitText(BODY);
    });

    step("js-sdk has haos's device keys (keys/upload, keys/query)", 20000, async () => {
        const devs = await peers.alice.waitDevices(hana.userId);
        assert.equal(devs.size, 1, `hana has one device, haos's: ${[...devs.keys()]}`);
        hanaDevice = [...devs.keys()][0];
        const d = devs.get(hanaDevice);
        assert.ok(d.getIdentityKey() && d.getFingerprint(), "curve25519 and ed25519 keys");
    });

    step("haos's typed reply reaches js-sdk", 20000, async () => {
        haos.line("réponse ✓ from haos");
        await waitPlain(peers.alice, dm, hana.userId, "réponse ✓ from haos");
    });

    step("js-sdk shares an encrypted room's Megolm key with haos's device over Olm", 40000, async () => {
        const { alice } = peers;
        lockbox = await alice.createEncryptedRoom({ name: "lockbox", invite: [hana.userId] });
        await haos.waitText("lockbox");
        haos.line("/accept lockbox");
        await haos.waitText("joined lockbox");
        await alice.waitMembership(lockbox, hana.userId, "join");
        const seq = await hs.requestSeq();
        await alice.send(lockbox, "for haos's eyes only");
        const reqs = await hs.requests(seq);
        const share = reqs.find((q) => q.method === "PUT" && /\/sendToDevice\/m\.room\.encrypted\//.test(q.path) &&
            q.body?.messages?.[hana.userId]?.[hanaDevice]);
        assert.ok(share, "alice's Olm-encrypted to-device message to haos's device");
        const olm = share.body.messages[hana.userId][hanaDevice];
        assert.equal(olm.algorithm, "m.olm.v1.curve25519-aes-sha2");
        assert.ok(reqs.some((q) => q.method === "POST" && /\/keys\/claim$/.test(q.path) &&
            q.body?.one_time_keys?.[hana.userId]?.[hanaDevice]), "alice claimed one of haos's one-time keys");
    });

    step("haos killed with SIGKILL and restarted shows the DM and new messages", 60000, async () => {
        await haos.kill9();
        await peers.alice.send(dm, "sent while haos was down");
        await haos.restart();
        await haos.goto("alice");
        await haos.waitText(BODY);
        await haos.waitText("sent while haos was down");
        await peers.alice.send(dm, "sent after the restart");
        await haos.waitText("sent after the restart");
    });

    step("`haos run` sends into the DM; js-sdk receives it", 60000, async () => {
        await haos.quit();
        const r = haos.run(["--channel", dm, "/send sent by haos run ✓"]);
        assert.equal(r.status, 0, `haos run: ${r.stderr}`);
        await waitPlain(peers.alice, dm, hana.userId, "sent by haos run ✓");
    });
});
