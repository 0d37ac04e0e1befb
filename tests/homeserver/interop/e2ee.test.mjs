// E2EE interop test: matrix-js-sdk (Rust crypto) against tests/homeserver/server.py.
//
// Two real matrix-js-sdk clients (alice, bob) register on a fresh test homeserver,
// sync, bootstrap cross-signing (UIA m.login.password), secret storage and key backup,
// then exchange Megolm-encrypted room messages whose keys travel as Olm to-device
// messages. The homeserver must only ever see ciphertext.
//
//   node --test --test-force-exit e2ee.test.mjs       (or ./run.sh)
//
// Env: HAOS_INTEROP_VERBOSE=1 echoes the SDK/crypto logs to stderr as they happen.
//      HAOS_INTEROP_KEEP=1 keeps the work dir ($TMPDIR/haos-interop-*: log, exchanges, server data)
//      after a green run too (it is always kept after a failure).
//      HAOS_INTEROP_SERVER=path/to/server.py overrides the server script.

import { describe, it, before, after } from "node:test";
import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import { createInterface } from "node:readline";
import { randomBytes } from "node:crypto";
import { mkdtempSync, writeFileSync, appendFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { format } from "node:util";

const HERE = path.dirname(fileURLToPath(import.meta.url));
const SERVER = process.env.HAOS_INTEROP_SERVER || path.resolve(HERE, "..", "server.py");
const SERVER_NAME = "haos.test";
const VERBOSE = !!process.env.HAOS_INTEROP_VERBOSE;
const WORK = mkdtempSync(path.join(tmpdir(), "haos-interop-"));
const LOG = path.join(WORK, "log.txt");

// ---------------------------------------------------------------------------
// Logging. The SDK and the Rust crypto (wasm tracing) log through console.*;
// send all of it to LOG so that the test runner's output stays readable. Done before the SDK is imported,
// because loglevel binds console methods at load time.
function logLine(tag, args) {
    const line = `${new Date().toISOString().slice(11, 23)} [${tag}] ${format(...args)}`;
    try { appendFileSync(LOG, line + "\n"); } catch { /* work dir removed after a green run */ }
    if (VERBOSE) process.stderr.write(line + "\n");
}
for (const level of ["log", "debug", "info", "warn", "error", "trace"]) {
    console[level] = (...args) => logLine(level, args);
}
function makeLogger(name) {
    const mk = (prefix) => {
        const l = {};
        for (const level of ["trace", "debug", "info", "warn", "error"]) {
            l[level] = (...args) => logLine(`${prefix} ${level}`, args);
        }
        l.getChild = (ns) => mk(`${prefix}${ns}`);
        return l;
    };
    return mk(name);
}

const sdk = await import("matrix-js-sdk");
const { ClientEvent } = sdk;
const { CryptoEvent, VerificationPhase, VerifierEvent } = await import("matrix-js-sdk/lib/crypto-api/index.js");

// ---------------------------------------------------------------------------
// HTTP recording: every request any client makes, with the server's answer.
const exchanges = [];
const syncGates = {}; // who -> { waiting, promise }: hold that client's /sync requests until resolved
function recordingFetch(who) {
    return async (url, init = {}) => {
        const u = new URL(url instanceof Request ? url.url : String(url));
        const gate = syncGates[who];
        if (gate && u.pathname.endsWith("/sync")) {
            gate.waiting++;
            await gate.promise;
        }
        const rec = {
            who,
            method: (init.method || "GET").toUpperCase(),
            path: u.pathname + (u.search || ""),
            req: typeof init.body === "string" ? init.body.slice(0, 1500) : init.body ? "<binary>" : null,
            status: null,
            res: null,
        };
        exchanges.push(rec);
        let res;
        try {
            res = await fetch(url, init);
        } catch (e) {
            rec.status = `network error: ${e.name}: ${e.message}`;
            throw e;
        }
        rec.status = res.status;
        try {
            rec.res = (await res.clone().text()).slice(0, 1500);
        } catch (e) {
            rec.res = `<unreadable: ${e.message}>`;
        }
        logLine(`http ${who}`, [`${rec.method} ${rec.path} -> ${rec.status}`]);
        return res;
    };
}
function fmtExchange(r) {
    return `  ${r.who}: ${r.method} ${r.path} -> ${r.status}` +
        (r.req ? `\n      request:  ${r.req.slice(0, 600)}` : "") +
        (r.res !== null ? `\n      response: ${String(r.res).slice(0, 600)}` : "");
}
// Server answers that are errors (except the expected UIA 401s and 404s the SDK
// uses for probing), during the given slice of the exchange log.
function suspiciousExchanges(from) {
    return exchanges.slice(from).filter((r) => {
        if (r.status === null) return false; // still pending (a long poll)
        if (typeof r.status !== "number") return !/AbortError/.test(String(r.status));
        if (r.status < 400) return false;
        if (r.status === 401 && /"flows"/.test(r.res || "")) return false; // UIA round trip
        return true;
    });
}

// ---------------------------------------------------------------------------
// Server process.
let server = null;
const serverStderr = [];
let baseUrl = null;

async function startServer(port = 0) {
    const proc = spawn("python3", [SERVER, "--port", String(port), "--server-name", SERVER_NAME,
        "--data", path.join(WORK, "data")], { stdio: ["ignore", "pipe", "pipe"] });
    server = proc;
    proc.stderr.setEncoding("utf8");
    proc.stderr.on("data", (d) => {
        for (const line of d.split("\n")) if (line) {
            serverStderr.push(line);
            logLine("server", [line]);
        }
    });
    const rl = createInterface({ input: proc.stdout });
    const first = await withTimeout(new Promise((resolve, reject) => {
        rl.once("line", resolve);
        proc.once("exit", (code, sig) => setTimeout(() => reject(new Error(
            `server exited (${code ?? sig}) before printing its address; stderr:\n  ` +
            serverStderr.slice(-20).join("\n  "))), 100));
        proc.once("error", reject);
    }), 15000, "server start (first stdout line)");
    rl.on("line", (l) => logLine("server-out", [l]));
    const m = /listening on (http:\/\/\S+)/.exec(first);
    if (!m) throw new Error(`unexpected first line from server: ${JSON.stringify(first)}`);
    baseUrl = m[1].replace(/\/$/, "");
    logLine("test", [`server at ${baseUrl}, work dir ${WORK}`]);
}

// Never leave a server behind, even if the runner exits without running `after`.
process.on("exit", () => { try { server?.kill("SIGKILL"); } catch { /* gone */ } });

async function stopServer() {
    const proc = server;
    server = null;
    if (!proc || proc.exitCode !== null || proc.signalCode !== null) return;
    const exited = new Promise((r) => proc.once("exit", r));
    proc.kill("SIGTERM");
    const t = setTimeout(() => proc.kill("SIGKILL"), 5000);
    await exited;
    clearTimeout(t);
}

// ---------------------------------------------------------------------------
// Helpers.
function withTimeout(promise, ms, what) {
    let timer;
    const timeout = new Promise((_, reject) => {
        timer = setTimeout(() => reject(new Error(`timed out after ${ms} ms: ${what}`)), ms);
    });
    return Promise.race([promise, timeout]).finally(() => clearTimeout(timer));
}

async function waitFor(what, ms, fn, interval = 100) {
    const deadline = Date.now() + ms;
    let last;
    for (;;) {
        try {
            const v = await fn();
            if (v) return v;
        } catch (e) {
            last = e;
        }
        if (Date.now() > deadline) {
            throw new Error(`timed out after ${ms} ms waiting for ${what}` + (last ? ` (last error: ${last.message})` : ""));
        }
        await new Promise((r) => setTimeout(r, interval));
    }
}

async function api(token, method, p, body) {
    const res = await recordingFetch("test")(baseUrl + p, {
        method,
        headers: { ...(token ? { Authorization: `Bearer ${token}` } : {}), ...(body ? { "Content-Type": "application/json" } : {}) },
        body: body ? JSON.stringify(body) : undefined,
    });
    const text = await res.text();
    let json = null;
    try { json = JSON.parse(text); } catch { /* not JSON */ }
    return { status: res.status, json, text };
}

const run = randomBytes(3).toString("hex");
const PASSWORD = "correct horse battery staple";
const users = {}; // name -> { userId, token, deviceId, client, secretStorageKeys }

async function register(name) {
    const tmp = sdk.createClient({ baseUrl, fetchFn: recordingFetch(name), logger: makeLogger(name) });
    const username = `${name}${run}`;
    // First round: no auth -> 401 with session + flows (UIA).
    let session;
    try {
        await tmp.registerRequest({ username, password: PASSWORD, initial_device_display_name: `${name} js-sdk` });
        throw new Error("register without auth succeeded; expected 401 with a UIA session (Synapse 1.67)");
    } catch (e) {
        if (!(e instanceof sdk.MatrixError) || e.httpStatus !== 401) throw e;
        session = e.data.session;
        assert.ok(session, `401 has a session: ${JSON.stringify(e.data)}`);
        assert.ok(Array.isArray(e.data.flows) &&
            e.data.flows.some((f) => (f.stages || []).includes("m.login.dummy")),
            `401 flows offer m.login.dummy: ${JSON.stringify(e.data)}`);
    }
    const r = await tmp.registerRequest({
        username, password: PASSWORD, initial_device_display_name: `${name} js-sdk`,
        auth: { type: "m.login.dummy", session },
    });
    assert.equal(r.user_id, `@${username}:${SERVER_NAME}`);
    assert.ok(r.access_token && r.device_id, `register returns token and device: ${JSON.stringify(r)}`);
    tmp.stopClient();
    users[name] = { userId: r.user_id, token: r.access_token, deviceId: r.device_id };
}

async function makeClient(name, secretStorageKeys = new Map() /* keyId -> Uint8Array */) {
    const u = users[name];
    u.secretStorageKeys = secretStorageKeys;
    const client = sdk.createClient({
        baseUrl,
        userId: u.userId,
        deviceId: u.deviceId,
        accessToken: u.token,
        fetchFn: recordingFetch(name),
        logger: makeLogger(name),
        cryptoCallbacks: {
            getSecretStorageKey: async ({ keys }) => {
                for (const keyId of Object.keys(keys)) {
                    if (secretStorageKeys.has(keyId)) return [keyId, secretStorageKeys.get(keyId)];
                }
                return null;
            },
            cacheSecretStorageKey: (keyId, _keyInfo, key) => { secretStorageKeys.set(keyId, key); },
        },
    });
    u.client = client;
    await client.initRustCrypto({ useIndexedDB: false });
    const prepared = new Promise((resolve, reject) => {
        const onSync = (state, _prev, data) => {
            if (state === "PREPARED" || state === "SYNCING") {
                client.off(ClientEvent.Sync, onSync);
                resolve();
            } else if (state === "ERROR") {
                client.off(ClientEvent.Sync, onSync);
                reject(new Error(`${name}'s first sync failed: ${data?.error?.message ?? data?.error ?? "?"}`));
            }
        };
        client.on(ClientEvent.Sync, onSync);
    });
    // alice syncs without lazy-loading members, bob and alice2 with it (like Element):
    // the latter makes the crypto fetch the member list with GET /rooms/{id}/members.
    await client.startClient({ initialSyncLimit: 20, lazyLoadMembers: name !== "alice" });
    await prepared;
}

// UIA callback for bootstrapCrossSigning: try without auth, then m.login.password
// with the session from the 401 (Synapse 1.67 always asks for UIA here).
function passwordUia(name) {
    return async (makeRequest) => {
        try {
            await makeRequest(null);
            return;
        } catch (e) {
            if (!(e instanceof sdk.MatrixError) || e.httpStatus !== 401 || !e.data?.flows) throw e;
            assert.ok(e.data.flows.some((f) => (f.stages || []).includes("m.login.password")),
                `keys/device_signing/upload 401 offers m.login.password: ${JSON.stringify(e.data)}`);
            await makeRequest({
                type: "m.login.password",
                identifier: { type: "m.id.user", user: users[name].userId },
                password: PASSWORD,
                session: e.data.session,
            });
        }
    };
}

// Wait until `client` has event `eventId` in room `roomId`, decrypted.
async function waitDecrypted(client, roomId, eventId, ms) {
    let ev = null;
    try {
        return await waitFor(`decryption of ${eventId}`, ms, () => {
            ev = client.getRoom(roomId)?.findEventById(eventId) ?? null;
            if (!ev || ev.isBeingDecrypted() || ev.isDecryptionFailure()) return null;
            return ev.getType() === "m.room.message" ? ev : null;
        });
    } catch (e) {
        if (!ev) e.message += ` — the event never arrived in ${client.getUserId()}'s timeline`;
        else e.message += ` — event state: wire type ${ev.getWireType()}, type ${ev.getType()}, ` +
            `decryption failure ${ev.decryptionFailureReason ?? "none"}: ${JSON.stringify(ev.getContent())}`;
        throw e;
    }
}

// ---------------------------------------------------------------------------
// The scenario, one step per `it`. A failing step skips the rest.
let broken = null;
let stepsPassed = 0;
let stepsTotal = 0;
function step(name, ms, fn) {
    stepsTotal++;
    it(name, { timeout: ms + 2000 }, async (t) => {
        if (broken) return t.skip(`earlier step failed: ${broken}`);
        const from = exchanges.length;
        const serverFrom = serverStderr.length;
        logLine("test", [`=== step: ${name}`]);
        try {
            await withTimeout(Promise.resolve().then(fn), ms, name);
            stepsPassed++;
        } catch (e) {
            broken = name;
            const sus = suspiciousExchanges(from);
            const recent = exchanges.slice(Math.max(from, exchanges.length - 8));
            const srv = serverStderr.slice(serverFrom).filter((l) => /error|exception|traceback|warn/i.test(l)).slice(-15);
            const msg = `${e.name}: ${e.message}` + "\n\nserver error answers during this step:\n" +
                (sus.length ? sus.slice(-10).map(fmtExchange).join("\n") : "  (none)") +
                "\n\nlast requests of this step:\n" + (recent.length ? recent.map(fmtExchange).join("\n") : "  (none)") +
                (srv.length ? "\n\nserver stderr (errors):\n  " + srv.join("\n  ") : "") +
                `\n\nfull log (SDK, crypto, HTTP, server stderr): ${LOG}`;
            writeFileSync(path.join(WORK, "exchanges.json"), JSON.stringify(exchanges, null, 1));
            const err = new Error(msg, { cause: e });
            err.stack = msg + "\n" + String(e.stack || "").split("\n").filter((l) => /^\s+at /.test(l)).slice(0, 6).join("\n");
            throw err;
        }
    });
}

describe("matrix-js-sdk E2EE against the test homeserver", { timeout: 90000 }, () => {
    let roomId;
    const texts = {
        a1: `hello bob, this is secret ${randomBytes(6).toString("hex")}`,
        b1: `hi alice, secret reply ${randomBytes(6).toString("hex")}`,
        a2: `second message after the reply ${randomBytes(6).toString("hex")}`,
        b2: `bob again, now also to alice's new device ${randomBytes(6).toString("hex")}`,
        a3: `after the server restart ${randomBytes(6).toString("hex")}`,
        a4: `after 120 queued to-device messages ${randomBytes(6).toString("hex")}`,
    };
    const sent = {};
    let backupVersion = null;

    before(async () => {
        writeFileSync(LOG, "");
        await startServer();
    });

    after(async () => {
        for (const u of Object.values(users)) {
            try { u.client?.stopClient(); } catch { /* ignore */ }
        }
        await stopServer();
        if (stepsPassed === stepsTotal && !process.env.HAOS_INTEROP_KEEP) {
            rmSync(WORK, { recursive: true, force: true });
        } else {
            writeFileSync(path.join(WORK, "exchanges.json"), JSON.stringify(exchanges, null, 1));
        }
    });

    step("register alice and bob (UIA m.login.dummy round trip)", 10000, async () => {
        await register("alice");
        await register("bob");
    });

    step("start both clients with Rust crypto and sync", 20000, async () => {
        await Promise.all([makeClient("alice"), makeClient("bob")]);
        // Device keys must be on the server: bob queries alice's device.
        const devs = await waitFor("alice's device keys visible to bob", 10000, async () => {
            const m = await users.bob.client.getCrypto().getUserDeviceInfo([users.alice.userId], true);
            return m.get(users.alice.userId)?.get(users.alice.deviceId);
        });
        assert.ok(devs.getIdentityKey(), "alice's device has a curve25519 key");
    });

    step("bootstrap cross-signing for alice and bob (UIA m.login.password)", 20000, async () => {
        for (const name of ["alice", "bob"]) {
            const crypto = users[name].client.getCrypto();
            await crypto.bootstrapCrossSigning({ authUploadDeviceSigningKeys: passwordUia(name) });
            await waitFor(`${name} cross-signing ready`, 10000, () => crypto.isCrossSigningReady());
            const st = await crypto.getCrossSigningStatus();
            assert.ok(st.publicKeysOnDevice, `${name}: public cross-signing keys on device: ${JSON.stringify(st)}`);
            // The device signature goes up with keys/signatures/upload; the SDK learns it back
            // from /keys/query after the server lists the user in sync's device_lists.changed.
            await waitFor(`${name}'s own device cross-signed by its self-signing key (device_lists.changed ` +
                `in sync after keys/signatures/upload, then keys/query)`, 10000, async () =>
                (await crypto.getDeviceVerificationStatus(users[name].userId, users[name].deviceId))?.crossSigningVerified);
        }
    });

    step("bob's /keys/query sees alice's cross-signing keys and signed device", 10000, async () => {
        const a = users.alice;
        const r = await api(users.bob.token, "POST", "/_matrix/client/v3/keys/query",
            { device_keys: { [a.userId]: [] } });
        assert.equal(r.status, 200, r.text);
        const mk = r.json.master_keys?.[a.userId];
        const ssk = r.json.self_signing_keys?.[a.userId];
        assert.ok(mk, `master_keys[alice] present: ${r.text.slice(0, 800)}`);
        assert.ok(ssk, `self_signing_keys[alice] present: ${r.text.slice(0, 800)}`);
        assert.deepEqual(mk.usage, ["master"]);
        assert.deepEqual(ssk.usage, ["self_signing"]);
        assert.equal(r.json.user_signing_keys?.[a.userId], undefined,
            "alice's user-signing key is only shown to alice herself");
        const mkId = Object.keys(mk.keys)[0];
        assert.ok(ssk.signatures?.[a.userId]?.[mkId], "self-signing key is signed by the master key");
        const sskId = Object.keys(ssk.keys)[0];
        const dev = r.json.device_keys?.[a.userId]?.[a.deviceId];
        assert.ok(dev, "alice's device keys present");
        assert.ok(dev.signatures?.[a.userId]?.[sskId],
            `alice's device is signed by her self-signing key (keys/signatures/upload): ${JSON.stringify(dev.signatures)}`);
        // And the SDK agrees: bob sees alice's identity via the crypto API.
        await waitFor("bob's crypto knows alice's cross-signing keys", 10000, () =>
            users.bob.client.getCrypto().userHasCrossSigningKeys(a.userId, true));
        // alice sees her own user-signing key.
        const own = await api(a.token, "POST", "/_matrix/client/v3/keys/query", { device_keys: { [a.userId]: [] } });
        assert.ok(own.json?.user_signing_keys?.[a.userId], `alice sees her own user_signing_keys: ${own.text.slice(0, 800)}`);
    });

    step("alice sets up secret storage and key backup", 25000, async () => {
        const crypto = users.alice.client.getCrypto();
        await withTimeout(crypto.bootstrapSecretStorage({
            createSecretStorageKey: () => crypto.createRecoveryKeyFromPassphrase(),
            setupNewSecretStorage: true,
            setupNewKeyBackup: true,
        }), 15000, "bootstrapSecretStorage (the SDK waits for its account data PUTs, e.g. " +
            "m.secret_storage.default_key, to come back in /sync account_data)");
        assert.ok(await crypto.isSecretStorageReady(), "secret storage ready");
        backupVersion = await waitFor("an active key backup", 10000, () => crypto.getActiveSessionBackupVersion());
        const info = await crypto.getKeyBackupInfo();
        assert.equal(info?.version, backupVersion, `GET room_keys/version: ${JSON.stringify(info)}`);
        assert.equal(info.algorithm, "m.megolm_backup.v1.curve25519-aes-sha2");
        const trust = await crypto.isKeyBackupTrusted(info);
        assert.ok(trust.trusted && trust.matchesDecryptionKey, `backup trusted: ${JSON.stringify(trust)}`);
        // The secrets are in account data, encrypted.
        for (const type of ["m.secret_storage.default_key", "m.cross_signing.master", "m.megolm_backup.v1"]) {
            const r = await api(users.alice.token, "GET",
                `/_matrix/client/v3/user/${encodeURIComponent(users.alice.userId)}/account_data/${type}`);
            assert.equal(r.status, 200, `account data ${type}: ${r.text}`);
        }
    });

    step("alice creates an encrypted room and invites bob; bob joins", 20000, async () => {
        const { alice, bob } = users;
        const r = await alice.client.createRoom({
            name: "interop",
            preset: "private_chat",
            invite: [bob.userId],
            initial_state: [{ type: "m.room.encryption", state_key: "", content: { algorithm: "m.megolm.v1.aes-sha2" } }],
        });
        roomId = r.room_id;
        assert.ok(roomId, JSON.stringify(r));
        await waitFor("bob sees the invite", 10000, () => bob.client.getRoom(roomId)?.getMyMembership() === "invite");
        await bob.client.joinRoom(roomId);
        await waitFor("alice sees bob joined", 10000, () =>
            alice.client.getRoom(roomId)?.getMember(bob.userId)?.membership === "join");
        await waitFor("bob's room is encrypted", 10000, () =>
            bob.client.getCrypto().isEncryptionEnabledInRoom(roomId));
        assert.ok(await alice.client.getCrypto().isEncryptionEnabledInRoom(roomId), "alice's room is encrypted");
    });

    step("bob verifies alice by SAS over to-device; his signature on her master key reaches the server", 30000, async () => {
        // (after the room: bob tracks alice's devices because they share it)
        const { alice, bob } = users;
        await waitFor("bob's crypto tracks alice's device", 10000, async () =>
            (await bob.client.getCrypto().getUserDeviceInfo([alice.userId])).get(alice.userId)?.has(alice.deviceId));
        const incoming = new Promise((resolve) => alice.client.once(CryptoEvent.VerificationRequestReceived, resolve));
        const bobReq = await bob.client.getCrypto().requestDeviceVerification(alice.userId, alice.deviceId);
        const aliceReq = await withTimeout(incoming, 10000, "alice receives m.key.verification.request (to-device)");
        await aliceReq.accept();
        await waitFor("m.key.verification.ready reaches bob", 10000, () => bobReq.phase === VerificationPhase.Ready);
        const bobVerifier = await bobReq.startVerification("m.sas.v1");
        const aliceVerifier = await waitFor("m.key.verification.start reaches alice", 10000, () => aliceReq.verifier);
        const showSas = (v) => new Promise((resolve) => v.once(VerifierEvent.ShowSas, resolve));
        const shows = [showSas(bobVerifier), showSas(aliceVerifier)];
        const done = [bobVerifier.verify(), aliceVerifier.verify()];
        const [bobSas, aliceSas] = await withTimeout(Promise.all(shows), 10000, "SAS shown on both sides (accept/key)");
        assert.deepEqual(bobSas.sas.decimal, aliceSas.sas.decimal, "both sides show the same SAS");
        await Promise.all([bobSas.confirm(), aliceSas.confirm()]);
        await withTimeout(Promise.all(done), 10000, "verification done on both sides (mac/done)");
        // bob's user-signing key now signs alice's master key (keys/signatures/upload) ...
        await waitFor("bob trusts alice's identity", 10000, async () =>
            (await bob.client.getCrypto().getUserVerificationStatus(alice.userId)).isCrossSigningVerified());
        const bobUsk = (await bob.client.getCrypto().getCrossSigningKeyId("user_signing"));
        assert.ok(bobUsk, "bob has a user-signing key");
        // ... and the server gives that signature back to bob.
        const r = await waitFor("bob's signature on alice's master key in keys/query", 10000, async () => {
            const q = await api(bob.token, "POST", "/_matrix/client/v3/keys/query", { device_keys: { [alice.userId]: [] } });
            return q.json?.master_keys?.[alice.userId]?.signatures?.[bob.userId]?.[`ed25519:${bobUsk}`] ? q : null;
        });
        assert.ok(r);
        assert.ok((await bob.client.getCrypto().getDeviceVerificationStatus(alice.userId, alice.deviceId))?.crossSigningVerified,
            "alice's device is verified for bob through cross-signing");
    });

    step("alice sends an encrypted message; bob decrypts it", 20000, async () => {
        const { alice, bob } = users;
        const r = await alice.client.sendMessage(roomId, { msgtype: "m.text", body: texts.a1 });
        sent.a1 = r.event_id;
        const ev = await waitDecrypted(bob.client, roomId, r.event_id, 15000);
        assert.equal(ev.getWireType(), "m.room.encrypted");
        assert.equal(ev.getContent().body, texts.a1);
        assert.equal(ev.getSender(), alice.userId);
    });

    step("bob replies encrypted; alice decrypts it", 20000, async () => {
        const { alice, bob } = users;
        const r = await bob.client.sendMessage(roomId, { msgtype: "m.text", body: texts.b1 });
        sent.b1 = r.event_id;
        const ev = await waitDecrypted(alice.client, roomId, r.event_id, 15000);
        assert.equal(ev.getWireType(), "m.room.encrypted");
        assert.equal(ev.getContent().body, texts.b1);
        assert.equal(ev.getSender(), bob.userId);
    });

    step("alice sends again on the same Megolm session; bob decrypts it", 15000, async () => {
        const r = await users.alice.client.sendMessage(roomId, { msgtype: "m.text", body: texts.a2 });
        sent.a2 = r.event_id;
        const ev = await waitDecrypted(users.bob.client, roomId, r.event_id, 10000);
        assert.equal(ev.getContent().body, texts.a2);
    });

    step("alice's room keys reach the key backup", 20000, async () => {
        assert.ok(backupVersion, "a key backup version exists");
        const r = await waitFor("room keys in the backup", 18000, async () => {
            const res = await api(users.alice.token, "GET",
                `/_matrix/client/v3/room_keys/keys?version=${encodeURIComponent(backupVersion)}`);
            if (res.status !== 200) throw new Error(`GET room_keys/keys -> ${res.status} ${res.text}`);
            // alice's own outbound session and the one bob shared with her.
            const sessions = res.json.rooms?.[roomId]?.sessions;
            return sessions && Object.keys(sessions).length >= 2 ? res : null;
        }, 500);
        const s = Object.values(r.json.rooms[roomId].sessions)[0];
        assert.ok(s.session_data?.ciphertext && s.session_data?.ephemeral, `backup session data: ${JSON.stringify(s)}`);
        const info = await api(users.alice.token, "GET", "/_matrix/client/v3/room_keys/version");
        assert.ok(info.json?.count >= 2, `room_keys/version count: ${info.text}`);
    });

    step("alice logs in a new device that restores from secret storage and key backup", 25000, async () => {
        const login = await sdk.createClient({ baseUrl, fetchFn: recordingFetch("alice2"), logger: makeLogger("alice2") })
            .loginRequest({
                type: "m.login.password",
                identifier: { type: "m.id.user", user: users.alice.userId },
                password: PASSWORD,
                initial_device_display_name: "alice js-sdk 2",
            });
        assert.equal(login.user_id, users.alice.userId);
        assert.notEqual(login.device_id, users.alice.deviceId);
        users.alice2 = { userId: login.user_id, token: login.access_token, deviceId: login.device_id };
        // The user types in her recovery key: the new device knows the secret storage key.
        await makeClient("alice2", new Map(users.alice.secretStorageKeys));
        const crypto = users.alice2.client.getCrypto();
        // Cross-signing keys come from secret storage; the new device gets signed. The SDK
        // can only import them once it has downloaded its own public identity (keys/query).
        assert.ok(await crypto.userHasCrossSigningKeys(users.alice.userId, true), "alice2 sees alice's cross-signing keys");
        await crypto.bootstrapCrossSigning({ authUploadDeviceSigningKeys: passwordUia("alice2") });
        await waitFor("alice2 cross-signed", 10000, async () =>
            (await crypto.getDeviceVerificationStatus(users.alice.userId, users.alice2.deviceId))?.crossSigningVerified);
        await crypto.loadSessionBackupPrivateKeyFromSecretStorage();
        const res = await crypto.restoreKeyBackup();
        assert.ok(res.imported >= 2, `restored room keys from backup: ${JSON.stringify(res)}`);
        // History (from the initial sync) now decrypts on the new device.
        for (const k of ["a1", "b1", "a2"]) {
            const ev = await waitDecrypted(users.alice2.client, roomId, sent[k], 10000);
            assert.equal(ev.getContent().body, texts[k]);
        }
    });

    step("bob learns alice's new device and shares his next message's key with it", 30000, async () => {
        const { alice, alice2, bob } = users;
        // Needs alice in bob's sync device_lists.changed after alice2's keys/upload.
        await waitFor("bob sees alice's new device as cross-signed by alice", 10000, async () =>
            (await bob.client.getCrypto().getDeviceVerificationStatus(alice.userId, alice2.deviceId))?.signedByOwner);
        const r = await bob.client.sendMessage(roomId, { msgtype: "m.text", body: texts.b2 });
        sent.b2 = r.event_id;
        for (const c of [alice2.client, alice.client]) {
            const ev = await waitDecrypted(c, roomId, r.event_id, 10000);
            assert.equal(ev.getContent().body, texts.b2);
        }
    });

    step("the server only ever saw ciphertext", 10000, async () => {
        // /messages as stored by the server.
        for (const name of ["alice", "bob", "alice2"]) {
            const r = await api(users[name].token, "GET",
                `/_matrix/client/v3/rooms/${encodeURIComponent(roomId)}/messages?dir=b&limit=50`);
            assert.equal(r.status, 200, r.text);
            const byId = new Map((r.json.chunk || []).map((e) => [e.event_id, e]));
            for (const [k, id] of Object.entries(sent)) {
                const e = byId.get(id);
                assert.ok(e, `${name}'s /messages has ${k} (${id})`);
                assert.equal(e.type, "m.room.encrypted", `${k} stored as m.room.encrypted`);
                assert.equal(e.content.algorithm, "m.megolm.v1.aes-sha2");
                assert.ok(e.content.ciphertext && e.content.session_id, `${k} has Megolm ciphertext`);
            }
            for (const t of Object.values(texts)) assert.ok(!r.text.includes(t), `plaintext not in ${name}'s /messages`);
        }
        // Every request the server recorded, if it offers the test hook.
        // GET /_test/requests?since=N -> {"requests": [{seq, method, path, query, body, ...}], "next": M}
        let rec = await api(null, "GET", "/_test/requests");
        if (rec.status === 200) {
            const pages = [rec.text];
            for (let i = 0; i < 100 && rec.json?.requests?.length && rec.json.next !== undefined; i++) {
                rec = await api(null, "GET", `/_test/requests?since=${encodeURIComponent(rec.json.next)}`);
                assert.equal(rec.status, 200, rec.text);
                pages.push(rec.text);
            }
            const all = pages.join("\n");
            for (const t of Object.values(texts)) {
                assert.ok(!all.includes(t), `plaintext "${t}" appears in /_test/requests`);
            }
            assert.ok(!/\/send\/m\.room\.message\//.test(all), "no m.room.message was sent in the clear");
            assert.ok(/\/send\/m\.room\.encrypted\//.test(all), "/_test/requests shows /send/m.room.encrypted");
            assert.ok(/\/sendToDevice\/m\.room\.encrypted\//.test(all),
                "/_test/requests shows Olm to-device (/sendToDevice/m.room.encrypted)");
            assert.ok(!/\/sendToDevice\/m\.room_key\//.test(all), "no room key sent in the clear");
        } else {
            logLine("test", [`GET /_test/requests -> ${rec.status}; checked /messages only`]);
        }
        // And the clients' own record of every request body they sent.
        for (const x of exchanges) {
            for (const t of Object.values(texts)) {
                assert.ok(!(x.req || "").includes(t), `plaintext sent in clear: ${x.who} ${x.method} ${x.path}`);
            }
        }
    });

    step("after a server restart (--data) the state persists and E2EE goes on", 45000, async () => {
        const { alice, alice2, bob } = users;
        const before = baseUrl;
        await stopServer();
        await startServer(new URL(before).port);
        assert.equal(baseUrl, before, "restarted on the same address");
        // Cross-signing keys and both of alice's devices survived.
        const q = await api(bob.token, "POST", "/_matrix/client/v3/keys/query", { device_keys: { [alice.userId]: [] } });
        assert.equal(q.status, 200, q.text);
        assert.ok(q.json.master_keys?.[alice.userId] && q.json.self_signing_keys?.[alice.userId],
            `cross-signing keys after restart: ${q.text.slice(0, 600)}`);
        assert.deepEqual(Object.keys(q.json.device_keys?.[alice.userId] ?? {}).sort(),
            [alice.deviceId, alice2.deviceId].sort(), "alice's devices after restart");
        // The key backup survived.
        const v = await api(alice.token, "GET", "/_matrix/client/v3/room_keys/version");
        assert.equal(v.status, 200, v.text);
        assert.equal(v.json.version, backupVersion);
        assert.ok(v.json.count >= 2, `backup count after restart: ${v.text}`);
        // The stored events are still ciphertext.
        const m = await api(bob.token, "GET", `/_matrix/client/v3/rooms/${encodeURIComponent(roomId)}/messages?dir=b&limit=50`);
        assert.equal(m.status, 200, m.text);
        for (const id of Object.values(sent)) {
            assert.equal(m.json.chunk.find((e) => e.event_id === id)?.type, "m.room.encrypted", `${id} after restart`);
        }
        // A new Megolm session, shared over the existing Olm sessions as to-device messages.
        await alice.client.getCrypto().forceDiscardSession(roomId);
        const r = await alice.client.sendMessage(roomId, { msgtype: "m.text", body: texts.a3 });
        sent.a3 = r.event_id;
        for (const c of [bob.client, alice2.client]) {
            const ev = await waitDecrypted(c, roomId, r.event_id, 18000);
            assert.equal(ev.getContent().body, texts.a3);
            assert.equal(ev.getWireType(), "m.room.encrypted");
        }
        for (const x of exchanges) {
            assert.ok(!(x.req || "").includes(texts.a3), `plaintext sent in clear: ${x.who} ${x.method} ${x.path}`);
        }
    });

    step("a device that was away gets all of 120+ queued to-device messages", 30000, async () => {
        // Synapse hands out at most 100 to-device messages per sync and keeps the rest for the
        // next one. Hold bob's next /sync on the client side, queue 120 filler to-device messages
        // for his device, then a fresh Megolm room key from alice (Olm, queued last), then let
        // bob sync again: he must still get the key and decrypt the message.
        const { alice, bob } = users;
        let open;
        const gate = { waiting: 0, promise: new Promise((r) => { open = r; }) };
        syncGates.bob = gate;
        try {
            const put = async (i) => {
                const r = await api(alice.token, "PUT",
                    `/_matrix/client/v3/sendToDevice/org.haos.test.filler/filler-${run}-${i}`,
                    { messages: { [bob.userId]: { [bob.deviceId]: { i } } } });
                assert.equal(r.status, 200, r.text);
            };
            await put(0); // ends bob's current long poll; his next /sync waits at the gate
            await waitFor("bob's next /sync held", 10000, () => gate.waiting > 0);
            for (let i = 1; i <= 120; i += 10) {
                await Promise.all(Array.from({ length: 10 }, (_, j) => put(i + j)));
            }
            await alice.client.getCrypto().forceDiscardSession(roomId);
            const r = await alice.client.sendMessage(roomId, { msgtype: "m.text", body: texts.a4 });
            sent.a4 = r.event_id;
        } finally {
            delete syncGates.bob;
            open();
        }
        const ev = await waitDecrypted(bob.client, roomId, sent.a4, 20000);
        assert.equal(ev.getContent().body, texts.a4);
    });
});
