// Issue #16, cross-signing (E2EE.md Step 7): haos bootstraps its user's
// cross-signing with `haos run /crosssign`, and matrix-js-sdk 37.5.0
// (Rust crypto) then sees haos's device signed by its owner; in
// OnlySignedDevicesIsolationMode js-sdk shares its room keys with haos's
// device only from then on.
//
//   (a) before: js-sdk sees haos's device, not signed by its owner
//   (b) `haos run /crosssign` succeeds; another user's js-sdk device and
//       hana's own second device (js-sdk) both see haos's device with
//       getDeviceVerificationStatus(...).signedByOwner === true
//   (a2) alice (cross-signed) in OnlySignedDevicesIsolationMode: haos
//       cannot decrypt what she sends while its device is not signed
//   (c) her message sent after the bootstrap is decrypted by haos
//   (d) haos's debug log holds no password
//
//   ./run.sh xsign.test.mjs

import { describe, before, after } from "node:test";
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { readdirSync } from "node:fs";
import path from "node:path";
import { Homeserver, makeStepper, makeWork, setLogFile, waitFor } from "./lib/common.mjs";
import { PASSWORD, Peer, register, login } from "./lib/peer.mjs";
import { Haos } from "./lib/haos.mjs";

const { OnlySignedDevicesIsolationMode } = await import("matrix-js-sdk/lib/crypto-api/index.js");

const work = makeWork("xsign");
setLogFile(work.log);
const hs = new Homeserver(work);
let haos = null;
const peers = {};
const st = makeStepper({ work, hs: () => hs, haos: () => haos });
const step = st.step;

const BEFORE = "not for unsigned devices";
const AFTER = "for signed devices only ✓";
const FROM_HAOS = "from hana's cross-signed haos ✓";

// A file haos keeps under XDG_DATA_HOME (session.json, store.sqlite3).
function haosFile(name) {
    const walk = (dir) => {
        for (const e of readdirSync(dir, { withFileTypes: true })) {
            const p = path.join(dir, e.name);
            if (e.isDirectory()) {
                const f = walk(p);
                if (f) return f;
            } else if (e.name === name) {
                return p;
            }
        }
        return null;
    };
    return walk(haos.env.XDG_DATA_HOME);
}

// How many events of room haos stored decrypted with this body.
function haosDecrypted(roomId, body) {
    const r = spawnSync("python3", ["-c", `
import sqlite3, sys
db = sqlite3.connect(sys.argv[1])
n = db.execute("select count(*) from events e join rooms r on r.id = e.room "
    "where r.room_id = ? and e.e2e = 1 and json_extract(e.content, '$.body') = ?",
    (sys.argv[2], sys.argv[3])).fetchone()[0]
print(n)`, haosFile("store.sqlite3"), roomId, body], { encoding: "utf8" });
    return Number(r.stdout.trim() || "0");
}

// How many m.room.encrypted events of room haos stored without a key.
function haosStored(roomId) {
    const r = spawnSync("python3", ["-c", `
import sqlite3, sys
db = sqlite3.connect(sys.argv[1])
print(db.execute("select count(*) from events e join rooms r on r.id = e.room "
    "where r.room_id = ? and e.type = 'm.room.encrypted' and e.e2e != 1",
    (sys.argv[2],)).fetchone()[0])`, haosFile("store.sqlite3"), roomId], { encoding: "utf8" });
    return Number(r.stdout.trim() || "0");
}

async function signedByOwner(peer, userId, deviceId) {
    const c = peer.client.getCrypto();
    await c.getUserDeviceInfo([userId], true);
    const s = await c.getDeviceVerificationStatus(userId, deviceId);
    return s?.signedByOwner === true;
}

describe("cross-signing: haos bootstraps, js-sdk sees its device signed", { timeout: 200000 }, () => {
    let hana, haosDevice, room;

    before(async () => { await hs.start(); });
    after(async () => {
        for (const p of Object.values(peers)) p.stop();
        haos?.stop();
        await hs.stop();
        st.cleanup();
    });

    step("setup: alice (js-sdk), hana logged in by haos, an encrypted room of both", 60000, async () => {
        peers.alice = new Peer(hs.url, "alice", await register(hs.url, "alice"));
        hana = await register(hs.url, "hana", { inhibitLogin: true });
        await peers.alice.start();
        haos = new Haos(work, hs.url, hana.userId, PASSWORD);
        haos.login();
        const session = JSON.parse(spawnSync("cat", [haosFile("session.json")],
            { encoding: "utf8" }).stdout);
        haosDevice = session.device_id;
        room = await peers.alice.createEncryptedRoom({ name: "xsign", invite: [hana.userId] });
        const r = await fetch(`${hs.url}/_matrix/client/v3/join/${encodeURIComponent(room)}`, {
            method: "POST", body: "{}",
            headers: { Authorization: `Bearer ${session.access_token}`, "Content-Type": "application/json" },
        });
        assert.equal(r.status, 200);
        // haos's device keys go up with its first run.
        const h = haos.run(["/help"]);
        assert.equal(h.status, 0, h.stderr);
        await peers.alice.waitDevices(hana.userId, [haosDevice], 20000);
    }, { fatal: true });

    step("(a) before /crosssign js-sdk sees haos's device not signed by its owner", 20000, async () => {
        assert.equal(await signedByOwner(peers.alice, hana.userId, haosDevice), false);
    });

    step("(a2) alice in OnlySignedDevicesIsolationMode withholds her key from haos's unsigned device", 60000, async () => {
        const { alice } = peers;
        // The mode needs the sender's own cross-signing too.
        await alice.client.getCrypto().bootstrapCrossSigning({
            authUploadDeviceSigningKeys: async (makeRequest) => makeRequest({
                type: "m.login.password", password: PASSWORD,
                identifier: { type: "m.id.user", user: alice.userId },
            }),
        });
        alice.client.getCrypto().setDeviceIsolationMode(new OnlySignedDevicesIsolationMode());
        await alice.send(room, BEFORE);
        for (let i = 0; i < 3; i++) haos.run(["/help"], 30000);
        assert.equal(haosDecrypted(room, BEFORE), 0, "haos decrypted a message js-sdk should not have shared");
        assert.ok(haosStored(room) >= 1, "haos did not even get alice's message");
    }, { fatal: true });

    step("(b) haos run /crosssign; js-sdk sees haos's device signedByOwner", 60000, async () => {
        const r = haos.run(["/crosssign"]);
        assert.equal(r.status, 0, `haos run /crosssign exited ${r.status ?? r.signal}: ${r.stderr}`);
        assert.match(r.stdout + r.stderr, /cross-signing set up/);
        await waitFor("alice sees haos's device signed by hana", 20000,
            () => signedByOwner(peers.alice, hana.userId, haosDevice), { interval: 500 });
        peers.hana2 = new Peer(hs.url, "hana2", await login(hs.url, hana.userId, "hana2"));
        await peers.hana2.start();
        await waitFor("hana's js-sdk device sees haos's device signed by hana", 20000,
            () => signedByOwner(peers.hana2, hana.userId, haosDevice), { interval: 500 });
    });

    step("(c) alice, now only-signed: haos decrypts what she sends after /crosssign", 60000, async () => {
        const { alice } = peers;
        await alice.newSession(room);
        await alice.send(room, AFTER);
        await waitFor("haos decrypts alice's message", 40000, () => {
            haos.run(["/help"], 30000);
            return haosDecrypted(room, AFTER) === 1;
        }, { interval: 1000 });
    }, { needs: ["(a2) alice in OnlySignedDevicesIsolationMode withholds her key from haos's unsigned device"] });

    step("(c2) alice, only-signed, reads what haos sends after /crosssign", 60000, async () => {
        const r = haos.run(["--channel", room, `/send ${FROM_HAOS}`]);
        assert.equal(r.status, 0, `haos run /send exited ${r.status ?? r.signal}: ${r.stderr}`);
        const ev = await peers.alice.waitBody(room, FROM_HAOS, { sender: hana.userId, ms: 30000 });
        assert.equal(ev.isDecryptionFailure(), false);
    }, { needs: ["(a2) alice in OnlySignedDevicesIsolationMode withholds her key from haos's unsigned device"] });

    step("(d) haos's debug log holds no password", 10000, async () => {
        const log = haos.log();
        assert.ok(log.length > 0, "haos wrote no log");
        assert.ok(!log.includes(PASSWORD), "the password is in haos's log");
    });
});
