// Issue #16, emoji verification (m.sas.v1, E2EE.md Step 8): haos against
// matrix-js-sdk's Rust crypto on the test homeserver, to-device.
//
//   (a) js-sdk asks haos's device (requestDeviceVerification); haos
//       accepts with "a"; js-sdk starts SAS; both show the same seven
//       emoji (js-sdk's sas.emoji against haos's HAOS_TEST_SAS_FILE and
//       its screen); both confirm; js-sdk reports haos's device verified
//       (localVerified) and haos shows "verified"
//   (b) haos asks (/verify @alice DEVICE); js-sdk accepts; same emoji,
//       both confirm, both verified
//   (c) haos asks in the encrypted DM (/verify @alice, no device): the
//       in-room flow, its events encrypted, both verified
//   (d) "n" in haos: js-sdk sees the verification cancelled with
//       m.mismatched_sas, and haos's device is not verified by it
//   (e) after /crosssign in haos, a new js-sdk device of haos's user asks
//       haos's device: once verified, haos signs it with its self-signing
//       key (uploaded), and js-sdk, which got haos's master key MACed,
//       sees haos's device cross-signing verified
//   (f) js-sdk asks in the DM (requestVerificationDM: the Rust SDK wants
//       a master key, which (e) made); haos accepts; both verified
//   (g) a NEW js-sdk device of hana's logs in and at once asks haos's
//       device, which has not queried it yet (haos stopped meanwhile, its
//       /keys/query then slowed): haos asks for its keys, holds the SAS
//       until they come (no m.key_mismatch), and both are verified
//
//   ./run.sh sas.test.mjs

import { describe, before, after } from "node:test";
import assert from "node:assert/strict";
import { readFileSync, rmSync } from "node:fs";
import path from "node:path";
import { Homeserver, ROOT, makeStepper, makeWork, setLogFile, waitFor, withTimeout, logLine } from "./lib/common.mjs";
import { PASSWORD, Peer, login, register } from "./lib/peer.mjs";
import { Haos } from "./lib/haos.mjs";

const { CryptoEvent, VerificationPhase, VerifierEvent } =
    await import("matrix-js-sdk/lib/crypto-api/index.js");

// The spec's table (data-definitions/sas-emoji.json): index -> name.
const TABLE = JSON.parse(readFileSync(path.join(ROOT, "tests/fixtures/sas/sas-emoji.json"), "utf8"));

const work = makeWork("sas");
setLogFile(work.log);
const hs = new Homeserver(work);
let haos = null;
const st = makeStepper({ work, hs: () => hs, haos: () => haos });
const step = st.step;

// The seven names haos wrote to its test hook file (once it is written).
async function haosEmoji(file) {
    const line = await waitFor("haos's HAOS_TEST_SAS_FILE", 15000, () => {
        try {
            const t = readFileSync(file, "utf8").trim();
            return t.split(" ").length === 7 ? t : null;
        } catch { return null; }
    });
    return line.split(" ").map((i) => TABLE[Number(i)].description);
}

// Until the request reaches phase.
function waitPhase(req, phase, ms = 15000) {
    return waitFor(`verification phase ${phase} (now ${req.phase})`, ms,
        () => req.phase === phase || null);
}

// The js-sdk side of the SAS once started: its ShowSas callbacks.
async function showSas(verifier) {
    const cbs = verifier.getShowSasCallbacks();
    if (cbs) return cbs;
    return withTimeout(new Promise((resolve) => verifier.once(VerifierEvent.ShowSas, resolve)),
        15000, "js-sdk's ShowSas");
}

describe("haos emoji verification against matrix-js-sdk (issue #16)", { timeout: 200000 }, () => {
    let alice, hana, hanaDevice, dm;
    const sasFile = path.join(work.dir, "sas-indices");

    before(async () => { await hs.start(); });
    after(async () => {
        alice?.stop();
        haos?.stop();
        await hs.stop();
        st.cleanup();
    });

    step("setup: alice on js-sdk, haos as hana, an encrypted DM between them", 60000, async () => {
        alice = new Peer(hs.url, "alice", await register(hs.url, "alice"));
        hana = await register(hs.url, "hana", { inhibitLogin: true });
        await alice.start();
        haos = new Haos(work, hs.url, hana.userId, PASSWORD);
        haos.env.HAOS_TEST_SAS_FILE = sasFile;
        haos.login();
        await haos.start();
        dm = await alice.createEncryptedRoom({ direct: true, invite: [hana.userId] });
        await haos.waitText("alice invited you");
        haos.line("/accept");
        await haos.waitText("joined alice");
        await alice.waitMembership(dm, hana.userId, "join");
        const devs = await alice.waitDevices(hana.userId);
        hanaDevice = [...devs.keys()][0];
        // haos knows alice's device once it has her keys: a message both ways.
        await alice.send(dm, "hello hana");
        await haos.waitText("hello hana", 20000);
    }, { fatal: true });

    step("(a) js-sdk asks, haos accepts: same emoji, both confirm, haos's device verified", 60000, async () => {
        rmSync(sasFile, { force: true });
        const crypto = alice.client.getCrypto();
        const req = await crypto.requestDeviceVerification(hana.userId, hanaDevice);
        await haos.waitText("asks to verify this device", 20000);
        haos.keys("a");
        await waitPhase(req, VerificationPhase.Ready);
        const verifier = await req.startVerification("m.sas.v1");
        const done = verifier.verify();
        const cbs = await showSas(verifier);
        const theirs = cbs.sas.emoji.map(([, name]) => name);
        const ours = await haosEmoji(sasFile);
        logLine("test", [`js-sdk ${theirs.join(",")} haos ${ours.join(",")}`]);
        assert.deepEqual(ours, theirs);
        const screen = await haos.waitText("Do these match", 10000);
        for (const name of ours) assert.ok(screen.includes(name), `haos shows ${name}`);
        haos.keys("y");
        await cbs.confirm();
        await withTimeout(done, 20000, "js-sdk's verify()");
        const status = await crypto.getDeviceVerificationStatus(hana.userId, hanaDevice);
        assert.equal(status?.localVerified, true, "js-sdk: haos's device verified");
        await haos.waitText("verified: @alice", 15000);
        haos.keys("Escape");
        await haos.waitGone("Key verification", 10000);
    });

    step("(b) haos asks (/verify): same emoji, both confirm, alice's device verified", 60000, async () => {
        rmSync(sasFile, { force: true });
        const crypto = alice.client.getCrypto();
        const got = withTimeout(new Promise((resolve) =>
            alice.client.once(CryptoEvent.VerificationRequestReceived, resolve)), 20000,
            "js-sdk's VerificationRequestReceived");
        haos.line(`/verify ${alice.userId} ${alice.deviceId}`);
        const req = await got;
        assert.equal(req.otherUserId, hana.userId);
        await req.accept();
        await waitPhase(req, VerificationPhase.Started, 20000);
        const verifier = req.verifier;
        const done = verifier.verify();
        const cbs = await showSas(verifier);
        const theirs = cbs.sas.emoji.map(([, name]) => name);
        assert.deepEqual(await haosEmoji(sasFile), theirs);
        await haos.waitText("Do these match", 10000);
        await cbs.confirm();
        haos.keys("y");
        await withTimeout(done, 20000, "js-sdk's verify()");
        await haos.waitText(`verified: ${alice.userId}`, 15000);
        haos.keys("Escape");
        await haos.waitGone("Key verification", 10000);
    });

    step("(c) haos asks in the encrypted DM (/verify @alice): same emoji, both verified", 60000, async () => {
        rmSync(sasFile, { force: true });
        const got = withTimeout(new Promise((resolve) =>
            alice.client.once(CryptoEvent.VerificationRequestReceived, resolve)), 20000,
            "js-sdk's VerificationRequestReceived");
        await haos.goto("alice");
        haos.line(`/verify ${alice.userId}`);
        const req = await got;
        assert.equal(req.roomId, dm, "an in-room request, in the DM");
        await req.accept();
        await waitPhase(req, VerificationPhase.Started, 20000);
        const verifier = req.verifier;
        const done = verifier.verify();
        const cbs = await showSas(verifier);
        assert.deepEqual(await haosEmoji(sasFile), cbs.sas.emoji.map(([, name]) => name));
        await haos.waitText("Do these match", 10000);
        haos.keys("y");
        await cbs.confirm();
        await withTimeout(done, 20000, "js-sdk's verify()");
        await haos.waitText(`verified: ${alice.userId}`, 15000);
        haos.keys("Escape");
        await haos.waitGone("Key verification", 10000);
        // Every verification event went into the room encrypted.
        const mine = alice.events(dm).filter((e) => e.getSender() === hana.userId &&
            (e.getType().startsWith("m.key.verification.") || e.getType() === "m.room.message"));
        assert.ok(mine.length >= 4, `haos's verification events in the DM: ${mine.length}`);
        assert.deepEqual(mine.map((e) => e.getWireType()).filter((t) => t !== "m.room.encrypted"), [],
            "haos sends nothing in clear in the encrypted DM: " +
            mine.map((e) => `${e.getWireType()}→${e.getType()}`).join(", "));
    });

    step("(d) \"n\" in haos: js-sdk sees m.mismatched_sas", 60000, async () => {
        rmSync(sasFile, { force: true });
        // A second js-sdk device of alice's, which has not verified haos.
        const alice2 = new Peer(hs.url, "alice2", await login(hs.url, alice.userId, "alice2"));
        await alice2.start();
        try {
            await alice2.waitDevices(hana.userId, [hanaDevice]);
            const crypto = alice2.client.getCrypto();
            const req = await crypto.requestDeviceVerification(hana.userId, hanaDevice);
            await haos.waitText("asks to verify this device", 20000);
            haos.keys("a");
            await waitPhase(req, VerificationPhase.Ready);
            const verifier = await req.startVerification("m.sas.v1");
            const done = verifier.verify().then(() => "verified", (e) => `failed: ${e}`);
            await showSas(verifier);
            await haosEmoji(sasFile);
            await haos.waitText("Do these match", 10000);
            haos.keys("n");
            assert.match(await withTimeout(done, 20000, "js-sdk's verify()"), /^failed/);
            await waitPhase(req, VerificationPhase.Cancelled);
            assert.equal(req.cancellationCode, "m.mismatched_sas");
            const status = await crypto.getDeviceVerificationStatus(hana.userId, hanaDevice);
            assert.notEqual(status?.localVerified, true, "js-sdk must not trust haos's device");
            await haos.waitText("m.mismatched_sas", 10000);
            haos.keys("Escape");
            await haos.waitGone("Key verification", 10000);
        } finally {
            alice2.stop();
        }
    });

    step("(e) after /crosssign, haos verifies a new js-sdk device of hana's and signs it", 90000, async () => {
        rmSync(sasFile, { force: true });
        haos.line("/crosssign");
        await haos.waitText("assword", 10000);
        haos.line(PASSWORD);
        await haos.waitText("cross-signing set up", 20000);
        const hana2 = new Peer(hs.url, "hana2", await login(hs.url, hana.userId, "hana2"));
        await hana2.start();
        try {
            await hana2.waitDevices(hana.userId, [hanaDevice]);
            const crypto = hana2.client.getCrypto();
            const req = await crypto.requestDeviceVerification(hana.userId, hanaDevice);
            await haos.waitText("asks to verify this device", 20000);
            assert.ok(haos.screen().includes(`your device ${hana2.deviceId}`));
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
            await haos.waitText(`verified: your device ${hana2.deviceId}`, 15000);
            haos.keys("Escape");
            // haos signed hana2's device keys with its self-signing key.
            const signed = await waitFor("hana2's device signed by hana's self-signing key", 20000, async () => {
                const r = await fetch(`${hs.url}/_matrix/client/v3/keys/query`, {
                    method: "POST", headers: { Authorization: `Bearer ${hana2.token}` },
                    body: JSON.stringify({ device_keys: { [hana.userId]: [] } }),
                });
                const q = await r.json();
                const ssk = Object.values(q.self_signing_keys?.[hana.userId]?.keys ?? {})[0];
                const sigs = q.device_keys?.[hana.userId]?.[hana2.deviceId]?.signatures?.[hana.userId] ?? {};
                return ssk && sigs[`ed25519:${ssk}`] ? sigs : null;
            }, { interval: 500 });
            logLine("test", [`hana2's signatures: ${Object.keys(signed).join(", ")}`]);
            // haos MACed its master key: hana2 trusts its own identity, so
            // haos's device (signed by /crosssign) is cross-signing verified.
            await waitFor("hana2 sees haos's device cross-signing verified", 20000, async () =>
                (await crypto.getDeviceVerificationStatus(hana.userId, hanaDevice))?.crossSigningVerified || null,
                { interval: 500 });
        } finally {
            hana2.stop();
        }
    });

    step("(f) js-sdk asks in the DM (requestVerificationDM; hana has a master key now), haos accepts: both verified", 60000, async () => {
        rmSync(sasFile, { force: true });
        const crypto = alice.client.getCrypto();
        const req = await crypto.requestVerificationDM(hana.userId, dm);
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
        await haos.waitText(`verified: ${alice.userId}`, 15000);
        haos.keys("Escape");
        await haos.waitGone("Key verification", 10000);
    });

    step("(g) a brand-new js-sdk device asks haos at once, before haos queried it: haos waits for its keys, both verified", 90000, async () => {
        rmSync(sasFile, { force: true });
        // haos hears of the new device only when the request is there
        // too: it is stopped while hana3 logs in, learns haos's device and
        // asks; then its /keys/query for hana3 is slowed, so the request
        // is handled while the store lacks hana3.
        const pid = haos.pid();
        process.kill(pid, "SIGSTOP");
        let hana3;
        try {
            hana3 = new Peer(hs.url, "hana3", await login(hs.url, hana.userId, "hana3"));
            await hana3.start();
            await hana3.waitDevices(hana.userId, [hanaDevice]);
            const f = await hs.api(null, "POST", "/_test/faults", { faults: [
                { action: "delay", path: "/keys/query", ms: 6000, count: 1 }] });
            assert.equal(f.status, 200, `POST /_test/faults -> ${f.status}`);
        } finally {
            process.kill(pid, "SIGCONT");
        }
        try {
            const crypto = hana3.client.getCrypto();
            const req = await crypto.requestDeviceVerification(hana.userId, hanaDevice);
            await haos.waitText("asks to verify this device", 20000);
            assert.ok(haos.screen().includes(`your device ${hana3.deviceId}`));
            haos.keys("a");
            await waitPhase(req, VerificationPhase.Ready);
            const verifier = await req.startVerification("m.sas.v1");
            const done = verifier.verify().then(() => "verified", (e) => `failed: ${e}`);
            const cbs = await showSas(verifier);
            assert.deepEqual(await haosEmoji(sasFile), cbs.sas.emoji.map(([, name]) => name));
            await haos.waitText("Do these match", 20000);
            haos.keys("y");
            await cbs.confirm();
            assert.equal(await withTimeout(done, 20000, "js-sdk's verify()"), "verified",
                `js-sdk's verification: ${req.cancellationCode ?? "not cancelled"}`);
            await haos.waitText(`verified: your device ${hana3.deviceId}`, 15000);
            assert.ok(!haos.screen().includes("m.key_mismatch"));
            haos.keys("Escape");
            await haos.waitGone("Key verification", 10000);
        } finally {
            hana3.stop();
            await hs.api(null, "DELETE", "/_test/faults");
        }
    });
});
