// Makes tests/fixtures/backup/session.json: a Megolm session as
// matrix-sdk-crypto (the crypto of matrix-js-sdk) puts it in a key
// backup (m.megolm_backup.v1.curve25519-aes-sha2), with the backup key,
// and an event encrypted with that session.  Run once, the output
// committed:  node make-backup-fixture.mjs > ../fixtures/backup/session.json
import * as sdk from "@matrix-org/matrix-sdk-crypto-wasm";
import { encodeRecoveryKey } from "matrix-js-sdk/lib/crypto-api/recovery-key.js";

await sdk.initAsync();
const user = new sdk.UserId("@alice:haos.test");
const room = new sdk.RoomId("!backup:haos.test");
const m = await sdk.OlmMachine.initialize(user, new sdk.DeviceId("ALICEDEV"));
const key = sdk.BackupDecryptionKey.createRandomKey();
const plaintext = { msgtype: "m.text", body: "backed up ✓ 日本語" };

await m.shareRoomKey(room, [], new sdk.EncryptionSettings());
const wire = JSON.parse(await m.encryptRoomEvent(room, "m.room.message",
    JSON.stringify(plaintext)));
await m.enableBackupV1(key.megolmV1PublicKey.publicKeyBase64, "1");
const req = await m.backupRoomKeys();
const body = JSON.parse(req.body);
const keys = JSON.parse(await m.exportRoomKeys(() => true));
console.log(JSON.stringify({
	comment: "made by matrix-sdk-crypto-wasm " + sdk.getVersions().matrix_sdk_crypto +
	    " (tests/interop/make-backup-fixture.mjs)",
	backup_key: key.toBase64(),
	recovery_key: encodeRecoveryKey(Buffer.from(key.toBase64(), "base64")),
	public_key: key.megolmV1PublicKey.publicKeyBase64,
	room_id: room.toString(),
	session_id: wire.session_id,
	sender_key: keys[0].sender_key,
	sender_ed25519: keys[0].sender_claimed_keys.ed25519,
	sender: user.toString(),
	rooms: body.rooms,
	event: {
		type: "m.room.encrypted", event_id: "$backup1", sender: user.toString(),
		origin_server_ts: 1700000000000, room_id: room.toString(), content: wire,
	},
	plaintext,
}, null, 1));
m.close();
