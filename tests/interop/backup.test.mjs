// Issue #16 Step 10: the server-side key backup between matrix-js-sdk and
// haos, on the test homeserver, haos's side read off its screen in tmux.
//
//   (a) a js-sdk device of hana makes a key backup (resetKeyBackup) and
//       sends into an encrypted room; its keys reach the backup
//   (b) haos, a new device of hana that never received those keys, shows
//       the history as waiting for its keys; given the backup's recovery
//       key (/backup key, as Element shows it) it restores them from the
//       backup and shows the history decrypted
//   (c) /backup restore counts what the backup holds; haos's debug log
//       holds neither the recovery key nor the plaintexts; haos asked no
//       device for a key (no m.room_key_request: the backup replaces it)
//   (d) trust by signature (E2EE.md Step 10 "Do" 1): js-sdk makes hana's
//       cross-signing identity and secret storage, haos unlocks the
//       identity with /recovery; js-sdk then makes a new backup, signed by
//       the master key, whose key haos never gets: haos trusts it, backs
//       up the session of what it sends, and a fresh js-sdk device
//       restores it from the backup and reads haos's message
//
//   ./run.sh backup.test.mjs

import { describe, before, after } from "node:test";
import assert from "node:assert/strict";
import { Homeserver, makeStepper, makeWork, setLogFile, waitFor } from "./lib/common.mjs";
import { PASSWORD, Peer, register, login } from "./lib/peer.mjs";
import { Haos } from "./lib/haos.mjs";

const { encodeRecoveryKey } = await import("matrix-js-sdk/lib/crypto-api/recovery-key.js");

// The secret storage key of (d), known to the test.
const SSSS_KEY = new Uint8Array(32).map((_, i) => (i * 7 + 3) & 0xff);
const SSSS_RECOVERY = encodeRecoveryKey(SSSS_KEY);
const callbacks = {
    getSecretStorageKey: async ({ keys }) => [Object.keys(keys)[0], SSSS_KEY],
};
const FROM_HAOS = "haos backed this up for js-sdk ✓ 🔐";

const WAITING = "waiting for the key to this message";
const T = ["backed up by js-sdk ✓ 日本語", "and its second message 🧪"];

const work = makeWork("backup");
setLogFile(work.log);
const hs = new Homeserver(work);
let haos = null;
let js = null;
const st = makeStepper({ work, hs: () => hs, haos: () => haos });
const step = st.step;

describe("haos key backup against matrix-js-sdk (issue #16)", { timeout: 240000 }, () => {
    let hana, room, version, recovery, js2 = null;

    before(async () => { await hs.start(); });
    after(async () => {
        js?.stop();
        js2?.stop();
        haos?.stop();
        await hs.stop();
        st.cleanup();
    });

    step("(a) js-sdk makes a backup and sends; the backup holds the keys", 90000, async () => {
        hana = await register(hs.url, "hana");
        js = await new Peer(hs.url, "hana-js", hana, { cryptoCallbacks: callbacks }).start();
        const crypto = js.client.getCrypto();
        await crypto.resetKeyBackup();
        version = await waitFor("js-sdk's backup is active", 20000,
            async () => await crypto.getActiveSessionBackupVersion());
        room = await js.createEncryptedRoom({ name: "backup-room" });
        for (const t of T) await js.send(room, t);
        await waitFor("the backup holds the room's keys", 60000, async () => {
            const r = await hs.api(hana.token, "GET", `/_matrix/client/v3/room_keys/keys?version=${version}`);
            return Object.keys(r.json?.rooms?.[room]?.sessions ?? {}).length > 0;
        }, { interval: 500 });
        const key = await crypto.getSessionBackupPrivateKey();
        assert.ok(key, "js-sdk holds its backup key");
        recovery = encodeRecoveryKey(key);
    }, { fatal: true });

    step("(b) haos, a new device of hana given the recovery key, decrypts the history", 90000, async () => {
        haos = new Haos(work, hs.url, hana.userId, PASSWORD);
        haos.login();
        await haos.start();
        await haos.waitText("backup-room", 20000);
        await haos.goto("backup-room");
        await haos.waitText(WAITING, 20000);
        haos.line(`/backup key ${recovery}`);
        await haos.waitText(`backup ${version}: trusted`, 20000);
        for (const t of T) await haos.waitText(t, 30000);
        await haos.waitGone(WAITING, 10000);
    }, { fatal: true });

    step("(c) /backup restore counts the keys; the log holds no secret", 30000, async () => {
        haos.line("/backup restore");
        await haos.waitMatch(new RegExp(`backup ${version}: 0 keys restored, 1 already held, 0 refused`), 20000);
        const log = haos.log();
        assert.ok(log.length > 0, "haos wrote a log");
        assert.ok(!log.includes(recovery), "the recovery key is in haos's log");
        assert.ok(!log.includes(recovery.replace(/ /g, "")), "the recovery key is in haos's log");
        for (const t of T) assert.ok(!log.includes(t), `"${t}" is in haos's log`);
        const asked = (await hs.requests(0)).filter((r) => r.device !== hana.deviceId &&
            /m\.room_key_request|m\.room\.encrypted/.test(r.path) && /sendToDevice/.test(r.path));
        assert.deepEqual(asked.map((r) => r.path), [], "haos sent to-device messages (key requests?)");
    });

    step("(d) a backup signed by hana's master key: haos backs up without its key, js-sdk restores", 150000, async () => {
        const crypto = js.client.getCrypto();
        await crypto.bootstrapCrossSigning({
            authUploadDeviceSigningKeys: async (makeRequest) => makeRequest({
                type: "m.login.password", password: PASSWORD,
                identifier: { type: "m.id.user", user: hana.userId },
            }),
        });
        await crypto.bootstrapSecretStorage({
            setupNewSecretStorage: true,
            createSecretStorageKey: async () => ({ privateKey: SSSS_KEY, encodedPrivateKey: SSSS_RECOVERY }),
        });
        // haos holds the identity's seeds: its master key is trusted.
        haos.line("/recovery");
        await haos.waitText("Recovery key:", 10000);
        haos.line(SSSS_RECOVERY.replace(/ /g, ""));
        await haos.waitMatch(/recovery: unlocked master, self_signing, user_signing/, 30000);
        // A new backup, signed by the master key; its key stays with js-sdk.
        await crypto.resetKeyBackup();
        const v2 = await waitFor("js-sdk's new backup is active", 20000, async () => {
            const v = await crypto.getActiveSessionBackupVersion();
            return v !== null && v !== version ? v : null;
        });
        const info = await hs.api(hana.token, "GET", "/_matrix/client/v3/room_keys/version");
        const msk = (await crypto.getCrossSigningKeyId()) ?? "";
        assert.ok(msk && info.json?.auth_data?.signatures?.[hana.userId]?.[`ed25519:${msk}`],
            `the new backup is not signed by hana's master key: ${info.text}`);
        haos.line("/backup");
        await haos.waitText(`backup ${v2}: trusted (signed by your identity)`, 20000);
        // js-sdk backs up what it receives too: stopped, only haos can.
        const jsDevice = js.deviceId;
        js.stop();
        js = null;
        const seq = (await hs.requests(0)).length;
        haos.line(FROM_HAOS);
        await waitFor("haos uploaded its session to the new backup", 60000, async () => {
            const reqs = await hs.requests(0);
            return reqs.slice(seq).some((r) => r.method === "PUT" &&
                r.path.endsWith("/room_keys/keys") && r.query === `version=${v2}` &&
                r.user === hana.userId && r.device !== jsDevice && r.status === 200);
        }, { interval: 500 });
        // A fresh js-sdk device of hana: no room key sent to it, the backup's
        // key from secret storage, the keys from the backup.
        js2 = await new Peer(hs.url, "hana-js2", await login(hs.url, hana.userId, "hana-js2"),
            { cryptoCallbacks: callbacks }).start();
        const c2 = js2.client.getCrypto();
        await c2.loadSessionBackupPrivateKeyFromSecretStorage();
        await waitFor("js-sdk's fresh device uses the backup", 20000,
            async () => (await c2.getActiveSessionBackupVersion()) === v2 || (await c2.checkKeyBackupAndEnable()) !== null);
        const got = await c2.restoreKeyBackup();
        assert.ok(got.imported >= 1, `js-sdk restored ${JSON.stringify(got)}`);
        await js2.waitBody(room, FROM_HAOS, { ms: 30000 });
    });
});
