// Make tests/fixtures/secrets/ssss-js.json: secret storage written by
// matrix-js-sdk's own code (ServerSideSecretStorageImpl, what
// bootstrapSecretStorage uses) with a fixed key, for the unit tests.
//   node gen-secrets-fixture.mjs > ../fixtures/secrets/ssss-js.json
import { EventEmitter } from "node:events";
import { ServerSideSecretStorageImpl, SECRET_STORAGE_ALGORITHM_V1_AES }
    from "matrix-js-sdk/lib/secret-storage.js";
import { encodeRecoveryKey } from "matrix-js-sdk/lib/crypto-api/recovery-key.js";
import { deriveRecoveryKeyFromPassphrase }
    from "matrix-js-sdk/lib/crypto-api/key-passphrase.js";
import { encodeUnpaddedBase64 } from "matrix-js-sdk/lib/base64.js";

const key = new Uint8Array(32).map((_, i) => i * 7 + 1);
const seeds = {
    "m.cross_signing.master": new Uint8Array(32).fill(0x11),
    "m.cross_signing.self_signing": new Uint8Array(32).fill(0x22),
    "m.cross_signing.user_signing": new Uint8Array(32).fill(0x33),
    "m.megolm_backup.v1": new Uint8Array(32).fill(0x44),
};
const data = {};
const client = Object.assign(new EventEmitter(), {
    getAccountDataFromServer: async (t) => data[t] ?? null,
    setAccountData: async (t, c) => {
        data[t] = c;
        // The echo a /sync would bring, which setDefaultKeyId waits for.
        setImmediate(() => client.emit("accountData",
            { getType: () => t, getContent: () => c }));
        return {};
    },
});
const ss = new ServerSideSecretStorageImpl(client, {
    getSecretStorageKey: async ({ keys }) => [Object.keys(keys)[0], key],
});
const { keyId } = await ss.addKey(SECRET_STORAGE_ALGORITHM_V1_AES,
    { key, name: "js-sdk fixture" }, "JSFIXTUREKEY");
await ss.setDefaultKeyId(keyId);
for (const [name, seed] of Object.entries(seeds))
    await ss.store(name, Buffer.from(seed).toString("base64"));
// A passphrase key too (m.pbkdf2), kept beside the default one.
const salt = "fixturesaltfixturesaltfixturesal";
const pkey = await deriveRecoveryKeyFromPassphrase("correct horse", salt,
    1000);
const p = await ss.addKey(SECRET_STORAGE_ALGORITHM_V1_AES, {
    key: pkey, name: "passphrase",
    passphrase: { algorithm: "m.pbkdf2", salt, iterations: 1000, bits: 256 },
}, "JSPASSKEY");
process.stdout.write(JSON.stringify({
    recovery_key: encodeRecoveryKey(key),
    key_b64: encodeUnpaddedBase64(key),
    passphrase: "correct horse",
    passphrase_key_id: p.keyId,
    passphrase_key_b64: encodeUnpaddedBase64(pkey),
    seeds_b64: Object.fromEntries(Object.entries(seeds).map(
        ([n, s]) => [n, encodeUnpaddedBase64(s)])),
    account_data: data,
}, null, 2) + "\n");
