// Issue #16, emoji verification against a man in the middle (E2EE.md Step 8
// test 5, §E.10): the test homeserver replaces an m.key.verification.key in
// transit with another curve25519 key (POST /_test/to_device {"tamper"}).
// No Olm session exists between the two devices (nothing was ever sent in
// the DM), so the SAS events travel in clear, as an attacker would see them.
//
//   (a) haos starts (/verify @alice DEVICE), js-sdk accepts; js-sdk's key
//       is replaced on its way to haos: haos, which holds js-sdk's
//       commitment from the accept, cancels with m.mismatched_commitment;
//       js-sdk sees that code, haos shows it
//   (b) js-sdk starts, haos accepts; haos's key is replaced on its way to
//       js-sdk: js-sdk's commitment check fails before any emoji (the Rust
//       SDK's code for it is m.key_mismatch, not the spec's
//       m.mismatched_commitment), haos shows the code it got
//   (c) haos starts; haos's own key (the starter's, which no commitment
//       covers) is replaced on its way to js-sdk: the emoji differ; both
//       confirm anyway and the MACs fail: haos cancels m.key_mismatch (the
//       Rust SDK, checking haos's MAC at the same time, says
//       m.mismatched_sas)
//   (d) js-sdk starts; its key is replaced on its way to haos: the emoji
//       differ, "n" in haos cancels with m.mismatched_sas
//
// In none of them is anything marked verified, on either side.
//
//   ./run.sh sas-tamper.test.mjs

import { describe, before, after } from "node:test";
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { generateKeyPairSync } from "node:crypto";
import { readFileSync, rmSync } from "node:fs";
import path from "node:path";
import { Homeserver, ROOT, makeStepper, makeWork, setLogFile, waitFor, withTimeout, logLine } from "./lib/common.mjs";
import { PASSWORD, Peer, register } from "./lib/peer.mjs";
import { Haos } from "./lib/haos.mjs";

const { CryptoEvent, VerificationPhase, VerifierEvent } =
    await import("matrix-js-sdk/lib/crypto-api/index.js");

const TABLE = JSON.parse(readFileSync(path.join(ROOT, "tests/fixtures/sas/sas-emoji.json"), "utf8"));
const KEY = "m.key.verification.key";

const work = makeWork("sas-tamper");
setLogFile(work.log);
const hs = new Homeserver(work);
let haos = null;
const st = makeStepper({ work, hs: () => hs, haos: () => haos });
const step = st.step;

// A curve25519 public key nobody in the test holds (unpadded base64).
function attackerKey() {
    const { publicKey } = generateKeyPairSync("x25519");
    const der = publicKey.export({ type: "spki", format: "der" });
    return der.subarray(der.length - 32).toString("base64").replace(/=+$/, "");
}

// The next clear m.key.verification.key from sender gets another key.
async function tamper(sender) {
    const r = await hs.api(null, "POST", "/_test/to_device",
        { tamper: { type: KEY, sender, value: attackerKey() } });
    assert.equal(r.status, 200, `POST /_test/to_device tamper -> ${r.status} ${r.text}`);
}

// The tampers done so far, and none left waiting.
async function tampered() {
    const r = await hs.api(null, "GET", "/_test/to_device");
    assert.equal(r.status, 200, r.text);
    assert.deepEqual(r.json.armed, [], "a tamper never found its message (sent encrypted?)");
    return r.json.tampered;
}

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

// haos's own record of a device: local_trust of devices, read from its store.
function haosTrust(userId, deviceId) {
    const r = spawnSync("sh", ["-c", `python3 - "$(find '${haos.env.XDG_DATA_HOME}' -name store.sqlite3 | head -1)" "$0" "$1" <<'EOF'
import sqlite3, sys
db = sqlite3.connect(sys.argv[1])
row = db.execute("select local_trust from devices where user_id = ? and device_id = ?",
    (sys.argv[2], sys.argv[3])).fetchone()
print(row[0] if row else -1)
EOF`, userId, deviceId], { encoding: "utf8" });
    return Number(r.stdout.trim());
}

describe("haos emoji verification with a key swapped in transit (issue #16)", { timeout: 240000 }, () => {
    let alice, hana, hanaDevice;
    const sasFile = path.join(work.dir, "sas-indices");
    let ntampered = 0;

    before(async () => { await hs.start(); });
    after(async () => {
        alice?.stop();
        haos?.stop();
        await hs.stop();
        st.cleanup();
    });

    // Nothing verified anywhere, one more tamper done, haos's dialog closed.
    async function nothingVerified(req) {
        const crypto = alice.client.getCrypto();
        const status = await crypto.getDeviceVerificationStatus(hana.userId, hanaDevice);
        assert.notEqual(status?.localVerified, true, "js-sdk trusts haos's device");
        assert.equal(haosTrust(alice.userId, alice.deviceId), 0, "haos trusts alice's device");
        assert.ok(!haos.screen().includes("verified: @alice"), "haos says verified");
        const t = await tampered();
        assert.equal(t.length, ntampered + 1, `the server tampered: ${JSON.stringify(t)}`);
        ntampered = t.length;
        logLine("test", [`phase ${req.phase}; tampered ${JSON.stringify(t.at(-1))}`]);
        // A request the Rust SDK left open would make it cancel the next
        // one ("another request with the same user is ongoing").
        if (req.phase !== VerificationPhase.Cancelled && req.phase !== VerificationPhase.Done)
            await req.cancel().catch((e) => logLine("test", [`cancel: ${e}`]));
        haos.keys("Escape");
        await haos.waitGone("Key verification", 10000);
    }

    // js-sdk's verify() settled (rejected) and the request's cancel code.
    // When the Rust SDK cancels itself, the request keeps its phase and no
    // code; verify()'s error carries it ("... cancelled by us with code C:").
    async function cancelled(req, done) {
        const how = await withTimeout(done, 20000, "js-sdk's verify()");
        assert.match(how, /^failed/);
        return waitFor("js-sdk's cancel code", 10000, () => req.cancellationCode ??
            /cancelled by us with code (\S+):/.exec(how)?.[1] ?? null,
        { describe: () => `phase ${req.phase}, verify(): ${how}` });
    }

    // haos asks alice's device; js-sdk accepts: the request and its verifier.
    async function haosStarts() {
        const got = withTimeout(new Promise((resolve) =>
            alice.client.once(CryptoEvent.VerificationRequestReceived, resolve)), 20000,
            "js-sdk's VerificationRequestReceived");
        haos.line(`/verify ${alice.userId} ${alice.deviceId}`);
        const req = await got;
        await req.accept();
        await waitPhase(req, VerificationPhase.Started, 20000);
        return req;
    }

    // js-sdk asks haos's device and starts SAS once haos accepts.
    async function jsStarts() {
        const req = await alice.client.getCrypto().requestDeviceVerification(hana.userId, hanaDevice);
        await haos.waitText("asks to verify this device", 20000);
        haos.keys("a");
        await waitPhase(req, VerificationPhase.Ready);
        await req.startVerification("m.sas.v1");
        return req;
    }

    step("setup: alice on js-sdk, haos as hana, an encrypted DM with nothing sent in it", 60000, async () => {
        alice = new Peer(hs.url, "alice", await register(hs.url, "alice"));
        hana = await register(hs.url, "hana", { inhibitLogin: true });
        await alice.start();
        haos = new Haos(work, hs.url, hana.userId, PASSWORD);
        haos.env.HAOS_TEST_SAS_FILE = sasFile;
        haos.login();
        await haos.start();
        const dm = await alice.createEncryptedRoom({ direct: true, invite: [hana.userId] });
        await haos.waitText("alice invited you");
        haos.line("/accept");
        await haos.waitText("joined alice");
        await alice.waitMembership(dm, hana.userId, "join");
        const devs = await alice.waitDevices(hana.userId);
        hanaDevice = [...devs.keys()][0];
        // haos has alice's device from /keys/query (she is in its encrypted DM).
        await waitFor("haos knows alice's device", 20000, async () => {
            haos.line(`/devices ${alice.userId}`);
            await haos.waitText("Esc or q closes", 5000);
            const seen = haos.screen().includes(alice.deviceId);
            haos.keys("Escape");
            await haos.waitGone("Esc or q closes", 5000);
            return seen || null;
        }, { interval: 1000 });
    }, { fatal: true });

    step("(a) haos starts, js-sdk's key swapped on its way to haos: haos cancels m.mismatched_commitment", 60000, async () => {
        rmSync(sasFile, { force: true });
        await tamper(alice.userId);
        const req = await haosStarts();
        const verifier = req.verifier;
        const done = verifier.verify().then(() => "verified", (e) => `failed: ${e}`);
        assert.equal(await cancelled(req, done), "m.mismatched_commitment");
        await haos.waitText("cancelled here: m.mismatched_commitment", 10000);
        assert.match(haos.log(), /cancelled, m\.mismatched_commitment/);
        await nothingVerified(req);
    });

    step("(b) js-sdk starts, haos's key swapped on its way to js-sdk: js-sdk's commitment check cancels", 60000, async () => {
        rmSync(sasFile, { force: true });
        await tamper(hana.userId);
        const req = await jsStarts();
        const verifier = req.verifier;
        const done = verifier.verify().then(() => "verified", (e) => `failed: ${e}`);
        // The Rust SDK cancels a commitment that does not hold with
        // m.key_mismatch ("The expected key did not match the verified
        // one"); the spec's code is m.mismatched_commitment.  Either, before
        // js-sdk shows any emoji.
        const code = await cancelled(req, done);
        assert.ok(["m.mismatched_commitment", "m.key_mismatch"].includes(code), code);
        assert.equal(verifier.getShowSasCallbacks(), null, "js-sdk showed emoji");
        await haos.waitText(`cancelled by them: ${code}`, 10000);
        assert.ok(haos.log().includes(`cancelled by ${alice.userId}, ${code}`),
            "haos's log says why js-sdk cancelled");
        await nothingVerified(req);
    });

    step("(c) haos starts, its own key swapped on its way to js-sdk: emoji differ, MACs fail (m.key_mismatch)", 60000, async () => {
        rmSync(sasFile, { force: true });
        await tamper(hana.userId);
        const req = await haosStarts();
        const verifier = req.verifier;
        const done = verifier.verify().then(() => "verified", (e) => `failed: ${e}`);
        const cbs = await showSas(verifier);
        const theirs = cbs.sas.emoji.map(([, name]) => name);
        const ours = await haosEmoji(sasFile);
        logLine("test", [`js-sdk ${theirs.join(",")} haos ${ours.join(",")}`]);
        assert.notDeepEqual(ours, theirs, "the same emoji with another key in the middle");
        await haos.waitText("Do these match", 10000);
        // Both say they match (a careless user): the MACs still catch it.
        haos.keys("y");
        await cbs.confirm().catch((e) => logLine("test", [`confirm: ${e}`]));
        // haos checks js-sdk's MAC when "y" is pressed: m.key_mismatch.
        // js-sdk checks haos's MAC on confirm, before haos's cancel reaches
        // it, and the Rust SDK names that failure m.mismatched_sas.
        await haos.waitText("cancelled here: m.key_mismatch", 10000);
        assert.match(haos.log(), /cancelled, m\.key_mismatch/);
        const code = await cancelled(req, done);
        assert.ok(["m.key_mismatch", "m.mismatched_sas"].includes(code), code);
        await nothingVerified(req);
    });

    step("(d) js-sdk starts, its key swapped on its way to haos: emoji differ, \"n\" in haos: m.mismatched_sas", 60000, async () => {
        rmSync(sasFile, { force: true });
        await tamper(alice.userId);
        const req = await jsStarts();
        const verifier = req.verifier;
        const done = verifier.verify().then(() => "verified", (e) => `failed: ${e}`);
        const cbs = await showSas(verifier);
        const theirs = cbs.sas.emoji.map(([, name]) => name);
        const ours = await haosEmoji(sasFile);
        assert.notDeepEqual(ours, theirs, "the same emoji with another key in the middle");
        await haos.waitText("Do these match", 10000);
        haos.keys("n");
        assert.equal(await cancelled(req, done), "m.mismatched_sas");
        await haos.waitText("cancelled here: m.mismatched_sas", 10000);
        await nothingVerified(req);
    });
});
