// Issue #16, secret storage and key files (E2EE.md Steps 9 and 13): haos
// against matrix-js-sdk 37.5.0 (Rust crypto) on the test homeserver.
//
//   (a) js-sdk sets up secret storage (bootstrapSecretStorage, a key known
//       to the test, encodeRecoveryKey) and stores cross-signing and backup
//       secrets in it; `haos run /recovery` given that recovery key on its
//       standard input unlocks the same keys (their public keys, in haos's
//       log, are the ones the seeds give); a mistyped key is refused
//   (b) a message haos cannot read (its key went only to a js-sdk device
//       of the same user) becomes readable after `/keys import` of that
//       device's export (exportRoomKeysAsJson, encrypted here in the
//       spec's format), typed in the client with its hidden prompt
//   (c) haos's `/keys export` imports into a fresh js-sdk device
//       (importRoomKeysAsJson), which then decrypts what haos had the
//       keys to
//   (d) haos's log holds no recovery key, passphrase or plaintext
//
//   ./run.sh secrets.test.mjs
//
// The harness's own implementation of the key file format is below
// (js-sdk exports only the JSON; the file encryption is Element's).
// The homeserver has no /keys/device_signing/upload, so the cross-signing
// seeds are stored in secret storage through js-sdk's own secretStorage
// (what bootstrapSecretStorage does with the keys bootstrapCrossSigning
// made), and compared by public key.

import { describe, before, after } from "node:test";
import assert from "node:assert/strict";
import crypto from "node:crypto";
import { readFileSync, writeFileSync, existsSync, statSync } from "node:fs";
import path from "node:path";
import { Homeserver, makeStepper, makeWork, setLogFile, waitFor } from "./lib/common.mjs";
import { PASSWORD, Peer, register, login, wireEvent } from "./lib/peer.mjs";
import { Haos } from "./lib/haos.mjs";

const { encodeRecoveryKey } = await import("matrix-js-sdk/lib/crypto-api/index.js");

const work = makeWork("secrets");
setLogFile(work.log);
const hs = new Homeserver(work);
let haos = null;
const peers = {};
const st = makeStepper({ work, hs: () => hs, haos: () => haos });
const step = st.step;

const WAITING = "waiting for the key to this message";
const T = {
    one: "before haos's device existed ✓ 🔑",
    two: "after haos's device came ✓ 📦",
};
const PASS_IN = "import passphrase ✓";
const PASS_OUT = "export passphrase ✓";

// The secret storage key, and the seeds js-sdk stores under it.
const SSSS_KEY = new Uint8Array(32).map((_, i) => (i * 13 + 5) & 0xff);
const RECOVERY_KEY = encodeRecoveryKey(SSSS_KEY);
const SEEDS = {
    "m.cross_signing.master": crypto.randomBytes(32),
    "m.cross_signing.self_signing": crypto.randomBytes(32),
    "m.cross_signing.user_signing": crypto.randomBytes(32),
    "m.megolm_backup.v1": crypto.randomBytes(32),
};

// The unpadded base64 ed25519 public key of a 32-byte seed.
function ed25519Public(seed) {
    const der = Buffer.concat([Buffer.from("302e020100300506032b657004220420", "hex"), seed]);
    const pub = crypto.createPublicKey(crypto.createPrivateKey({ key: der, format: "der", type: "pkcs8" }));
    return pub.export({ format: "der", type: "spki" }).subarray(-32).toString("base64").replace(/=+$/, "");
}

// The spec's key export file ("Key exports"), as Element writes it.
function sealKeyFile(json, pass, rounds = 100000) {
    const salt = crypto.randomBytes(16);
    const iv = crypto.randomBytes(16);
    iv[8] &= 0x7f;
    const k = crypto.pbkdf2Sync(pass, salt, rounds, 64, "sha512");
    const c = crypto.createCipheriv("aes-256-ctr", k.subarray(0, 32), iv);
    const ct = Buffer.concat([c.update(Buffer.from(json, "utf8")), c.final()]);
    const r = Buffer.alloc(4);
    r.writeUInt32BE(rounds);
    const body = Buffer.concat([Buffer.from([1]), salt, iv, r, ct]);
    const mac = crypto.createHmac("sha256", k.subarray(32)).update(body).digest();
    const b64 = Buffer.concat([body, mac]).toString("base64");
    return "-----BEGIN MEGOLM SESSION DATA-----\n" + b64.match(/.{1,96}/g).join("\n") +
        "\n-----END MEGOLM SESSION DATA-----\n";
}

function openKeyFile(text, pass) {
    const m = /-----BEGIN MEGOLM SESSION DATA-----([\s\S]*)-----END MEGOLM SESSION DATA-----/.exec(text);
    assert.ok(m, "no MEGOLM SESSION DATA armour");
    for (const line of m[1].trim().split("\n")) assert.ok(line.length <= 96, `a line of ${line.length}`);
    const raw = Buffer.from(m[1].replace(/\s+/g, ""), "base64");
    assert.equal(raw[0], 1, "version");
    assert.equal(raw[25] & 0x80, 0, "bit 63 of the iv");
    const salt = raw.subarray(1, 17), iv = raw.subarray(17, 33), rounds = raw.readUInt32BE(33);
    assert.ok(rounds >= 100000, `${rounds} rounds`);
    const k = crypto.pbkdf2Sync(pass, salt, rounds, 64, "sha512");
    const mac = crypto.createHmac("sha256", k.subarray(32)).update(raw.subarray(0, raw.length - 32)).digest();
    assert.ok(crypto.timingSafeEqual(mac, raw.subarray(raw.length - 32)), "the file's MAC");
    const d = crypto.createDecipheriv("aes-256-ctr", k.subarray(0, 32), iv);
    return Buffer.concat([d.update(raw.subarray(37, raw.length - 32)), d.final()]).toString("utf8");
}

describe("haos secret storage and key files against matrix-js-sdk (issue #16)", { timeout: 280000 }, () => {
    let hana, room, wireTwo;
    const importFile = path.join(work.dir, "from-js.txt");
    const exportFile = path.join(work.dir, "from-haos.txt");
    const callbacks = {
        getSecretStorageKey: async ({ keys }) => {
            const id = Object.keys(keys)[0];
            return [id, SSSS_KEY];
        },
    };

    before(async () => { await hs.start(); });
    after(async () => {
        for (const p of Object.values(peers)) p.stop();
        haos?.stop();
        await hs.stop();
        st.cleanup();
    });

    step("setup: alice on js-sdk; hana's js-sdk device in an encrypted room with alice; a message before haos", 60000, async () => {
        peers.alice = new Peer(hs.url, "alice", await register(hs.url, "alice"));
        hana = await register(hs.url, "hana", { inhibitLogin: true });
        peers.hanajs = new Peer(hs.url, "hanajs", await login(hs.url, hana.userId, "hana-js"),
            { cryptoCallbacks: callbacks });
        await Promise.all([peers.alice.start(), peers.hanajs.start()]);
        room = await peers.alice.createEncryptedRoom({ name: "keys-room", invite: [hana.userId] });
        await peers.hanajs.acceptInvite(room);
        await peers.alice.waitMembership(room, hana.userId, "join");
        await peers.alice.waitDevices(hana.userId, [peers.hanajs.deviceId]);
        await peers.alice.send(room, T.one);
        await peers.hanajs.waitBody(room, T.one, { ms: 20000 });
    }, { fatal: true });

    step("(a) js-sdk's secret storage; `haos run /recovery` unlocks the same keys", 90000, async () => {
        const c = peers.hanajs.client;
        await c.getCrypto().bootstrapSecretStorage({
            setupNewSecretStorage: true,
            createSecretStorageKey: async () => ({ privateKey: SSSS_KEY, encodedPrivateKey: RECOVERY_KEY }),
        });
        for (const [name, seed] of Object.entries(SEEDS)) await c.secretStorage.store(name, seed.toString("base64"));
        const kid = await c.secretStorage.getDefaultKeyId();
        assert.ok(kid, "js-sdk set no default key");

        haos = new Haos(work, hs.url, hana.userId, PASSWORD);
        haos.login();
        // A mistyped key: told which check failed, nothing stored.
        const typo = RECOVERY_KEY.slice(0, -1) + (RECOVERY_KEY.endsWith("1") ? "2" : "1");
        let r = haos.run(["/recovery"], 60000, typo + "\n");
        assert.notEqual(r.status, 0, "a mistyped recovery key was taken");
        assert.match(r.stderr, /parity|length|prefix/);
        r = haos.run(["/recovery"], 60000, RECOVERY_KEY.replace(/ /g, "") + "\n");
        assert.equal(r.status, 0, `haos run /recovery: ${r.stderr}`);
        assert.match(r.stdout, /unlocked master, self_signing, user_signing and backup key/);
        const log = haos.log();
        for (const name of ["master", "self_signing", "user_signing"]) {
            const pub = ed25519Public(SEEDS[`m.cross_signing.${name}`]);
            assert.ok(log.includes(`m.cross_signing.${name} unlocked (not verified), public key ${pub}`),
                `haos's log has no ${name} key ${pub}`);
        }
    });

    step("(b) js-sdk's export imports into haos and decrypts a message haos could not read", 90000, async () => {
        await haos.start();
        await haos.goto("keys-room");
        await haos.waitText(WAITING, 20000);
        const json = await peers.hanajs.client.getCrypto().exportRoomKeysAsJson();
        assert.ok(JSON.parse(json).length >= 1, "js-sdk exported no key");
        writeFileSync(importFile, sealKeyFile(json, PASS_IN), { mode: 0o600 });
        haos.line(`/keys import ${importFile}`);
        await haos.waitText("The file's passphrase", 10000);
        haos.line(PASS_IN);
        await haos.waitMatch(/imported [1-9][0-9]* of [1-9]/, 30000);
        const screen = await haos.waitText(T.one, 20000);
        assert.ok(!screen.includes(PASS_IN), "the passphrase is on the screen");
    });

    step("(c) haos's export imports into a fresh js-sdk device, which decrypts haos's messages", 120000, async () => {
        // A message whose key haos received itself.
        await peers.alice.waitDevices(hana.userId, [peers.hanajs.deviceId]);
        await peers.alice.send(room, T.two);
        await haos.waitText(T.two, 30000);
        wireTwo = wireEvent(await peers.hanajs.waitBody(room, T.two, { ms: 20000 }));
        haos.line(`/keys export ${exportFile}`);
        await haos.waitText("Passphrase for the export file", 10000);
        haos.line(PASS_OUT);
        await haos.waitText("The passphrase again", 10000);
        haos.line(PASS_OUT);
        await haos.waitText("exported", 60000);
        await waitFor("the export file", 10000, () => existsSync(exportFile));
        assert.equal(statSync(exportFile).mode & 0o777, 0o600);
        const json = openKeyFile(readFileSync(exportFile, "utf8"), PASS_OUT);
        const keys = JSON.parse(json);
        assert.ok(keys.some((k) => k.session_id === wireTwo.content.session_id), "haos exported no key for T.two");

        peers.hanajs2 = new Peer(hs.url, "hanajs2", await login(hs.url, hana.userId, "hana-js2"));
        await peers.hanajs2.start();
        const before = await peers.hanajs2.tryDecrypt(wireTwo);
        assert.ok(before.isDecryptionFailure(), "the fresh device could read T.two before the import");
        await peers.hanajs2.client.getCrypto().importRoomKeysAsJson(json);
        const ev = await peers.hanajs2.tryDecrypt(wireTwo);
        assert.equal(ev.getContent().body, T.two);
    });

    step("(d) haos's log holds no recovery key, passphrase or plaintext", 10000, async () => {
        const log = haos.log();
        for (const s of [RECOVERY_KEY, RECOVERY_KEY.replace(/ /g, ""), RECOVERY_KEY.slice(0, 14),
            PASS_IN, PASS_OUT, T.one, T.two])
            assert.ok(!log.includes(s), `haos's log contains "${s}"`);
        for (const seed of Object.values(SEEDS))
            assert.ok(!log.includes(seed.toString("base64").replace(/=+$/, "")), "a seed in haos's log");
    });
});
