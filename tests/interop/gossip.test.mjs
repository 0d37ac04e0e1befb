// Issue #16, secret sharing between one user's devices (E2EE.md Step 8
// item 7, Step 9 "Sharing": m.secret.request / m.secret.send): haos
// against matrix-js-sdk 37.5.0 (Rust crypto) on the test homeserver.
//
//   (a) hana's js-sdk device has cross-signing (bootstrapCrossSigning),
//       secret storage with a recovery key and a key backup; haos, a
//       fresh login of hana's, is verified by it by emoji; haos then asks
//       it for the self-signing, user-signing and backup keys and gets
//       them (its log says so), never given the recovery key; js-sdk
//       reports haos's device crossSigningVerified
//   (a0) before that, alice, a js-sdk user in
//       OnlySignedDevicesIsolationMode (Element's "exclude insecure
//       devices"), does not read what haos's unsigned device sends
//       (UNSIGNED_SENDER_DEVICE: hana has cross-signing, this device is not
//       signed) and haos does not get her key
//   (a2) after it, alice reads haos's messages and shares her key with
//       haos, which shows her message decrypted
//   (b) the backup key came too: `/backup` says the version is trusted
//   (c) haos holds the self-signing key for real: a new js-sdk device of
//       hana's that only haos verified ends up signed by hana's
//       self-signing key (haos's upload, or the device's own with the key
//       haos gave it: either way from haos, as no other device verified
//       it)
//   (d) haos answers: with the other js-sdk devices stopped, a fresh one
//       verified with haos asks for the secrets it lacks (matrix-sdk-
//       crypto asks its verified own devices after a verification; the
//       test also calls requestMissingSecretsIfNeeded()) and ends up with
//       the self-signing and user-signing private keys
//       (getCrossSigningStatus()), which only haos could give it
//   (e) haos's log holds none of the secrets
//
//   ./run.sh gossip.test.mjs

import { describe, before, after } from "node:test";
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { readFileSync, readdirSync, rmSync } from "node:fs";
import path from "node:path";
import { Homeserver, ROOT, makeStepper, makeWork, setLogFile, waitFor, withTimeout, logLine } from "./lib/common.mjs";
import { PASSWORD, Peer, exchanges, login, register } from "./lib/peer.mjs";
import { Haos } from "./lib/haos.mjs";

const { VerificationPhase, VerifierEvent, encodeRecoveryKey, OnlySignedDevicesIsolationMode,
    DecryptionFailureCode } =
    await import("matrix-js-sdk/lib/crypto-api/index.js");

const TABLE = JSON.parse(readFileSync(path.join(ROOT, "tests/fixtures/sas/sas-emoji.json"), "utf8"));
const SSSS_KEY = new Uint8Array(32).map((_, i) => (i * 29 + 7) & 0xff);
const RECOVERY_KEY = encodeRecoveryKey(SSSS_KEY);

const work = makeWork("gossip");
setLogFile(work.log);
const hs = new Homeserver(work);
let haos = null;
const peers = {};
const st = makeStepper({ work, hs: () => hs, haos: () => haos });
const step = st.step;

async function haosEmoji(file) {
    const line = await waitFor("haos's HAOS_TEST_SAS_FILE", 15000, () => {
        try {
            const t = readFileSync(file, "utf8").trim();
            return t.split(" ").length === 7 ? t : null;
        } catch { return null; }
    });
    return line.split(" ").map((i) => TABLE[Number(i)].description);
}

function waitPhase(req, phase, ms = 15000) {
    return waitFor(`verification phase ${phase} (now ${req.phase})`, ms,
        () => req.phase === phase || null);
}

async function showSas(verifier) {
    const cbs = verifier.getShowSasCallbacks();
    if (cbs) return cbs;
    return withTimeout(new Promise((resolve) => verifier.once(VerifierEvent.ShowSas, resolve)),
        15000, "js-sdk's ShowSas");
}

// peer asks haos's device to verify; haos accepts; both confirm.
async function verifyWithHaos(peer, haosDevice, sasFile) {
    rmSync(sasFile, { force: true });
    const crypto = peer.client.getCrypto();
    const req = await crypto.requestDeviceVerification(peer.userId, haosDevice);
    await haos.waitText("asks to verify this device", 20000);
    haos.keys("a");
    await waitPhase(req, VerificationPhase.Ready);
    const verifier = await req.startVerification("m.sas.v1");
    const done = verifier.verify();
    const cbs = await showSas(verifier);
    assert.deepEqual(await haosEmoji(sasFile), cbs.sas.emoji.map(([, name]) => name));
    await haos.waitText("Do these match", 10000);
    haos.keys("y");
    await cbs.confirm();
    await withTimeout(done, 20000, "js-sdk's verify()");
    await haos.waitText(`verified: your device ${peer.deviceId}`, 15000);
    haos.keys("Escape");
    await haos.waitGone("Key verification", 10000);
}

// Until haos's /devices lists device (its keys stored: the SAS MACs them).
async function haosKnows(device) {
    await waitFor(`haos knows device ${device}`, 20000, () => {
        haos.line("/devices");
        return haos.screen().includes(device) || null;
    }, { interval: 2000 });
    haos.keys("Escape");
}

// The signatures of hana's self-signing key on device, as the server has them.
async function sskSigned(token, userId, device) {
    const r = await fetch(`${hs.url}/_matrix/client/v3/keys/query`, {
        method: "POST", headers: { Authorization: `Bearer ${token}` },
        body: JSON.stringify({ device_keys: { [userId]: [] } }),
    });
    const q = await r.json();
    const ssk = Object.values(q.self_signing_keys?.[userId]?.keys ?? {})[0];
    const sigs = q.device_keys?.[userId]?.[device]?.signatures?.[userId] ?? {};
    return ssk && sigs[`ed25519:${ssk}`] ? ssk : null;
}

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

// How many events of roomId haos stored decrypted with this body.
function haosDecrypted(roomId, body) {
    const r = spawnSync("python3", ["-c", `
import sqlite3, sys
db = sqlite3.connect(sys.argv[1])
print(db.execute("select count(*) from events e join rooms r on r.id = e.room "
    "where r.room_id = ? and e.e2e = 1 and json_extract(e.content, '$.body') = ?",
    (sys.argv[2], sys.argv[3])).fetchone()[0])`, haosFile("store.sqlite3"), roomId, body],
        { encoding: "utf8" });
    return Number(r.stdout.trim() || "0");
}

// Stop a peer once none of its requests but /sync is out for a while:
// js-sdk's Rust crypto, stopped while one is out, calls into its freed
// machine when the answer comes ("null pointer passed to rust").
async function stopQuietly(peer) {
    let since = Date.now();
    await waitFor(`${peer.name} idle`, 10000, () => {
        const busy = exchanges.some((x) => x.who === peer.name && x.status === null &&
            !x.path.endsWith("/sync"));
        if (busy) since = Date.now();
        return Date.now() - since >= 500 || null;
    }, { interval: 50 });
    peer.stop();
}

const UNSIGNED_TEXT = "from hana's device before it is signed";
const BEFORE_TEXT = "alice to hana's signed devices only, before";
const SIGNED_TEXT = "from hana's device, signed by emoji ✓";
const AFTER_TEXT = "alice to hana's signed devices only, after ✓";

describe("haos secret sharing with its user's own js-sdk devices (issue #16)", { timeout: 300000 }, () => {
    let hana, haosDevice, version, exported, backupKey, onlySigned;
    const sasFile = path.join(work.dir, "sas-indices");
    const callbacks = {
        getSecretStorageKey: async ({ keys }) => [Object.keys(keys)[0], SSSS_KEY],
    };

    before(async () => { await hs.start(); });
    after(async () => {
        for (const p of Object.values(peers)) await stopQuietly(p).catch(() => p.stop());
        haos?.stop();
        await hs.stop();
        st.cleanup();
    });

    step("setup: hana's js-sdk device with cross-signing, secret storage and a backup; haos a new device of hana's", 90000, async () => {
        hana = await register(hs.url, "hana", { inhibitLogin: true });
        peers.js = new Peer(hs.url, "hana-js", await login(hs.url, hana.userId, "hana-js"),
            { cryptoCallbacks: callbacks });
        await peers.js.start();
        const crypto = peers.js.client.getCrypto();
        await crypto.bootstrapCrossSigning({
            authUploadDeviceSigningKeys: async (makeRequest) => makeRequest({
                type: "m.login.password", password: PASSWORD,
                identifier: { type: "m.id.user", user: hana.userId },
            }),
        });
        await crypto.bootstrapSecretStorage({
            setupNewSecretStorage: true,
            createSecretStorageKey: async () => ({ privateKey: SSSS_KEY, encodedPrivateKey: RECOVERY_KEY }),
        });
        await crypto.resetKeyBackup();
        version = await waitFor("js-sdk's backup is active", 20000,
            async () => await crypto.getActiveSessionBackupVersion());
        const status = await crypto.getCrossSigningStatus();
        assert.ok(status.privateKeysCachedLocally.selfSigningKey, "js-sdk holds the self-signing key");
        // Copied out now: the wasm object goes with its client.
        const e = await crypto.olmMachine.exportCrossSigningKeys();
        // (the bindings spell this one self_signing_key)
        exported = { masterKey: e.masterKey, selfSigningKey: e.self_signing_key,
            userSigningKey: e.userSigningKey };
        backupKey = await crypto.getSessionBackupPrivateKey();

        haos = new Haos(work, hs.url, hana.userId, PASSWORD);
        haos.env.HAOS_TEST_SAS_FILE = sasFile;
        haos.login();
        await haos.start();
        const devs = await waitFor("js-sdk knows haos's device", 20000, async () => {
            await peers.js.client.getCrypto().getUserDeviceInfo([hana.userId], true);
            const m = (await peers.js.client.getCrypto().getUserDeviceInfo([hana.userId]))
                .get(hana.userId);
            const others = [...(m?.keys() ?? [])].filter((d) => d !== peers.js.deviceId);
            return others.length === 1 ? others : null;
        }, { interval: 500 });
        haosDevice = devs[0];
        // haos has hana's keys (her master key, which js-sdk MACs) first.
        await waitFor("haos stored hana's device list", 20000, () =>
            /device lists: [1-9][0-9]* users? stored/.test(haos.log()) || null, { interval: 200 });
    }, { fatal: true });

    step("(a0) before the verification, alice (only-signed) neither reads haos nor shares with it", 90000, async () => {
        peers.alice = new Peer(hs.url, "alice", await register(hs.url, "alice"));
        await peers.alice.start();
        const { alice } = peers;
        // The mode needs the sender's own cross-signing too.
        await alice.client.getCrypto().bootstrapCrossSigning({
            authUploadDeviceSigningKeys: async (makeRequest) => makeRequest({
                type: "m.login.password", password: PASSWORD,
                identifier: { type: "m.id.user", user: alice.userId },
            }),
        });
        alice.client.getCrypto().setDeviceIsolationMode(new OnlySignedDevicesIsolationMode());
        onlySigned = await alice.createEncryptedRoom({ name: "only-signed", invite: [hana.userId] });
        const r = await fetch(`${hs.url}/_matrix/client/v3/join/${encodeURIComponent(onlySigned)}`, {
            method: "POST", body: "{}",
            headers: { Authorization: `Bearer ${haos.accessToken()}`, "Content-Type": "application/json" },
        });
        assert.equal(r.status, 200);
        await alice.waitDevices(hana.userId, [haosDevice], 20000);
        await haos.goto("only-signed");
        haos.line(UNSIGNED_TEXT);
        const failed = await waitFor("alice refuses haos's unsigned message", 30000, () =>
            alice.failures.find((f) => f.roomId === onlySigned && f.sender === hana.userId &&
                f.reason === DecryptionFailureCode.UNSIGNED_SENDER_DEVICE) || null, { interval: 500 });
        assert.ok(failed, "no UNSIGNED_SENDER_DEVICE failure");
        await alice.send(onlySigned, BEFORE_TEXT);
        await haos.waitMatch(/withheld the key|waiting for the key/, 20000);
        assert.ok(!haos.screen().includes(BEFORE_TEXT), "haos read a message alice withheld from it");
    }, { fatal: true });

    step("(a) verified by js-sdk by emoji, haos asks for the secrets and gets them; haos's device crossSigningVerified", 90000, async () => {
        await verifyWithHaos(peers.js, haosDevice, sasFile);
        for (const name of ["m.cross_signing.self_signing", "m.cross_signing.user_signing", "m.megolm_backup.v1"]) {
            await waitFor(`haos received ${name}`, 30000, () =>
                haos.log().includes(`secret sharing: ${name} received from device ${peers.js.deviceId}`) || null,
                { interval: 500 });
        }
        const crypto = peers.js.client.getCrypto();
        await waitFor("js-sdk sees haos's device cross-signing verified", 20000, async () =>
            (await crypto.getDeviceVerificationStatus(hana.userId, haosDevice))?.crossSigningVerified || null,
            { interval: 500 });
    }, { fatal: true });

    step("(a2) alice, only-signed, reads haos and shares her key with it now that the emoji made it cross-signed", 90000, async () => {
        const { alice } = peers;
        await waitFor("alice sees haos's device signed by hana", 20000, async () => {
            const c = alice.client.getCrypto();
            await c.getUserDeviceInfo([hana.userId], true);
            return (await c.getDeviceVerificationStatus(hana.userId, haosDevice))?.signedByOwner || null;
        }, { interval: 500 });
        await haos.goto("only-signed");
        haos.line(SIGNED_TEXT);
        const ev = await alice.waitBody(onlySigned, SIGNED_TEXT, { sender: hana.userId, ms: 30000 });
        assert.equal(ev.isDecryptionFailure(), false);
        await alice.newSession(onlySigned);
        await alice.send(onlySigned, AFTER_TEXT);
        await haos.waitText(AFTER_TEXT, 30000);
    });

    step("(b) the backup key came too: /backup says the version is trusted", 30000, async () => {
        haos.line("/backup");
        await haos.waitText(`backup ${version}: trusted`, 20000);
    });

    step("(c) a new js-sdk device only haos verified is signed by hana's self-signing key", 90000, async () => {
        peers.js3 = new Peer(hs.url, "hana3", await login(hs.url, hana.userId, "hana3"));
        await peers.js3.start();
        await peers.js3.waitDevices(hana.userId, [haosDevice]);
        await haosKnows(peers.js3.deviceId);
        assert.equal(await sskSigned(peers.js3.token, hana.userId, peers.js3.deviceId), null,
            "hana3 signed before any verification");
        await verifyWithHaos(peers.js3, haosDevice, sasFile);
        await waitFor("hana3 signed by hana's self-signing key", 20000,
            () => sskSigned(peers.js3.token, hana.userId, peers.js3.deviceId), { interval: 500 });
    });

    step("(d) haos answers: a fresh js-sdk device verified with haos gets the cross-signing keys from it", 90000, async () => {
        // Only haos holds the keys now.
        for (const k of ["js", "js3"]) {
            await stopQuietly(peers[k]);
            delete peers[k];
        }
        peers.js4 = new Peer(hs.url, "hana4", await login(hs.url, hana.userId, "hana4"));
        await peers.js4.start();
        await peers.js4.waitDevices(hana.userId, [haosDevice]);
        await haosKnows(peers.js4.deviceId);
        const crypto = peers.js4.client.getCrypto();
        const before = await crypto.getCrossSigningStatus();
        assert.equal(before.privateKeysCachedLocally.selfSigningKey, false, "hana4 starts without the keys");
        await verifyWithHaos(peers.js4, haosDevice, sasFile);
        await crypto.olmMachine.requestMissingSecretsIfNeeded();
        await waitFor("hana4 holds the self-signing and user-signing keys", 40000, async () => {
            const s = await crypto.getCrossSigningStatus();
            return (s.privateKeysCachedLocally.selfSigningKey && s.privateKeysCachedLocally.userSigningKey) || null;
        }, { interval: 500 });
        const log = haos.log();
        for (const name of ["m.cross_signing.self_signing", "m.cross_signing.user_signing"])
            assert.ok(log.includes(`secret sharing: ${name} sent to device ${peers.js4.deviceId}`),
                `haos's log has no answer with ${name} to hana4`);
    });

    step("(e) haos's log holds none of the secrets nor the recovery key", 10000, async () => {
        const log = haos.log();
        assert.ok(log.length > 0, "haos wrote no log");
        for (const k of ["selfSigningKey", "userSigningKey", "masterKey"]) {
            const v = exported[k];
            assert.ok(v, `js-sdk exported no ${k}`);
            assert.ok(!log.includes(v.replace(/=+$/, "")), `the ${k} is in haos's log`);
        }
        assert.ok(backupKey, "js-sdk gave no backup key");
        const b64 = Buffer.from(backupKey).toString("base64").replace(/=+$/, "");
        assert.ok(!log.includes(b64), "the backup key is in haos's log");
        assert.ok(!log.includes(RECOVERY_KEY.replace(/ /g, "")), "the recovery key is in haos's log");
    });
});
