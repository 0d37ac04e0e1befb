/* The spec's 64 SAS emoji and the emoji and decimal SAS of HKDF bytes. */
#include "haos/crypto-sas.h"

/*
 * Protocol data: data-definitions/sas-emoji.json of the Matrix spec,
 * entry for entry (the unit test compares it with a copy of that file,
 * tests/fixtures/sas/sas-emoji.json).  Both sides must show the same
 * picture and name for an index, so nothing here may be reworded.
 */
static const struct crypto_sas_emoji crypto_sas_emoji_table[] = {
	{ "\xf0\x9f\x90\xb6", "Dog" },	/*  0 U+1F436 */
	{ "\xf0\x9f\x90\xb1", "Cat" },	/*  1 U+1F431 */
	{ "\xf0\x9f\xa6\x81", "Lion" },	/*  2 U+1F981 */
	{ "\xf0\x9f\x90\x8e", "Horse" },	/*  3 U+1F40E */
	{ "\xf0\x9f\xa6\x84", "Unicorn" },	/*  4 U+1F984 */
	{ "\xf0\x9f\x90\xb7", "Pig" },	/*  5 U+1F437 */
	{ "\xf0\x9f\x90\x98", "Elephant" },	/*  6 U+1F418 */
	{ "\xf0\x9f\x90\xb0", "Rabbit" },	/*  7 U+1F430 */
	{ "\xf0\x9f\x90\xbc", "Panda" },	/*  8 U+1F43C */
	{ "\xf0\x9f\x90\x93", "Rooster" },	/*  9 U+1F413 */
	{ "\xf0\x9f\x90\xa7", "Penguin" },	/* 10 U+1F427 */
	{ "\xf0\x9f\x90\xa2", "Turtle" },	/* 11 U+1F422 */
	{ "\xf0\x9f\x90\x9f", "Fish" },	/* 12 U+1F41F */
	{ "\xf0\x9f\x90\x99", "Octopus" },	/* 13 U+1F419 */
	{ "\xf0\x9f\xa6\x8b", "Butterfly" },	/* 14 U+1F98B */
	{ "\xf0\x9f\x8c\xb7", "Flower" },	/* 15 U+1F337 */
	{ "\xf0\x9f\x8c\xb3", "Tree" },	/* 16 U+1F333 */
	{ "\xf0\x9f\x8c\xb5", "Cactus" },	/* 17 U+1F335 */
	{ "\xf0\x9f\x8d\x84", "Mushroom" },	/* 18 U+1F344 */
	{ "\xf0\x9f\x8c\x8f", "Globe" },	/* 19 U+1F30F */
	{ "\xf0\x9f\x8c\x99", "Moon" },	/* 20 U+1F319 */
	{ "\xe2\x98\x81\xef\xb8\x8f", "Cloud" },	/* 21 U+2601U+FE0F */
	{ "\xf0\x9f\x94\xa5", "Fire" },	/* 22 U+1F525 */
	{ "\xf0\x9f\x8d\x8c", "Banana" },	/* 23 U+1F34C */
	{ "\xf0\x9f\x8d\x8e", "Apple" },	/* 24 U+1F34E */
	{ "\xf0\x9f\x8d\x93", "Strawberry" },	/* 25 U+1F353 */
	{ "\xf0\x9f\x8c\xbd", "Corn" },	/* 26 U+1F33D */
	{ "\xf0\x9f\x8d\x95", "Pizza" },	/* 27 U+1F355 */
	{ "\xf0\x9f\x8e\x82", "Cake" },	/* 28 U+1F382 */
	{ "\xe2\x9d\xa4\xef\xb8\x8f", "Heart" },	/* 29 U+2764U+FE0F */
	{ "\xf0\x9f\x98\x80", "Smiley" },	/* 30 U+1F600 */
	{ "\xf0\x9f\xa4\x96", "Robot" },	/* 31 U+1F916 */
	{ "\xf0\x9f\x8e\xa9", "Hat" },	/* 32 U+1F3A9 */
	{ "\xf0\x9f\x91\x93", "Glasses" },	/* 33 U+1F453 */
	{ "\xf0\x9f\x94\xa7", "Spanner" },	/* 34 U+1F527 */
	{ "\xf0\x9f\x8e\x85", "Santa" },	/* 35 U+1F385 */
	{ "\xf0\x9f\x91\x8d", "Thumbs Up" },	/* 36 U+1F44D */
	{ "\xe2\x98\x82\xef\xb8\x8f", "Umbrella" },	/* 37 U+2602U+FE0F */
	{ "\xe2\x8c\x9b", "Hourglass" },	/* 38 U+231B */
	{ "\xe2\x8f\xb0", "Clock" },	/* 39 U+23F0 */
	{ "\xf0\x9f\x8e\x81", "Gift" },	/* 40 U+1F381 */
	{ "\xf0\x9f\x92\xa1", "Light Bulb" },	/* 41 U+1F4A1 */
	{ "\xf0\x9f\x93\x95", "Book" },	/* 42 U+1F4D5 */
	{ "\xe2\x9c\x8f\xef\xb8\x8f", "Pencil" },	/* 43 U+270FU+FE0F */
	{ "\xf0\x9f\x93\x8e", "Paperclip" },	/* 44 U+1F4CE */
	{ "\xe2\x9c\x82\xef\xb8\x8f", "Scissors" },	/* 45 U+2702U+FE0F */
	{ "\xf0\x9f\x94\x92", "Lock" },	/* 46 U+1F512 */
	{ "\xf0\x9f\x94\x91", "Key" },	/* 47 U+1F511 */
	{ "\xf0\x9f\x94\xa8", "Hammer" },	/* 48 U+1F528 */
	{ "\xe2\x98\x8e\xef\xb8\x8f", "Telephone" },	/* 49 U+260EU+FE0F */
	{ "\xf0\x9f\x8f\x81", "Flag" },	/* 50 U+1F3C1 */
	{ "\xf0\x9f\x9a\x82", "Train" },	/* 51 U+1F682 */
	{ "\xf0\x9f\x9a\xb2", "Bicycle" },	/* 52 U+1F6B2 */
	{ "\xe2\x9c\x88\xef\xb8\x8f", "Aeroplane" },	/* 53 U+2708U+FE0F */
	{ "\xf0\x9f\x9a\x80", "Rocket" },	/* 54 U+1F680 */
	{ "\xf0\x9f\x8f\x86", "Trophy" },	/* 55 U+1F3C6 */
	{ "\xe2\x9a\xbd", "Ball" },	/* 56 U+26BD */
	{ "\xf0\x9f\x8e\xb8", "Guitar" },	/* 57 U+1F3B8 */
	{ "\xf0\x9f\x8e\xba", "Trumpet" },	/* 58 U+1F3BA */
	{ "\xf0\x9f\x94\x94", "Bell" },	/* 59 U+1F514 */
	{ "\xe2\x9a\x93", "Anchor" },	/* 60 U+2693 */
	{ "\xf0\x9f\x8e\xa7", "Headphones" },	/* 61 U+1F3A7 */
	{ "\xf0\x9f\x93\x81", "Folder" },	/* 62 U+1F4C1 */
	{ "\xf0\x9f\x93\x8c", "Pin" },	/* 63 U+1F4CC */
};

const struct crypto_sas_emoji *
crypto_sas_emoji(unsigned int index)
{
	if (index >= CRYPTO_SAS_EMOJI_TABLE)
		return NULL;
	return &crypto_sas_emoji_table[index];
}

/* The first 42 bits, six at a time, most significant first. */
void
crypto_sas_emoji_indices(const unsigned char b[6], int idx[CRYPTO_SAS_EMOJI])
{
	uint64_t	v = 0;
	int		i;

	for (i = 0; i < 6; i++)
		v = (v << 8) | b[i];
	for (i = 0; i < CRYPTO_SAS_EMOJI; i++)
		idx[i] = (int)((v >> (48 - 6 * (i + 1))) & 0x3f);
}

/* The first 39 bits, 13 at a time, each plus 1000. */
void
crypto_sas_emoji_decimal(const unsigned char b[5], int num[CRYPTO_SAS_DECIMAL])
{
	num[0] = ((b[0] << 5) | (b[1] >> 3)) + 1000;
	num[1] = (((b[1] & 0x7) << 10) | (b[2] << 2) | (b[3] >> 6)) + 1000;
	num[2] = (((b[3] & 0x3f) << 7) | (b[4] >> 1)) + 1000;
}
