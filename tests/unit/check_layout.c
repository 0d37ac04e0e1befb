/* Pane geometry: tiling, no overlap, fold rules and toggles. */
#include "check_haos.h"

#include <stdlib.h>
#include <string.h>

#include "haos/layout.h"

#define NRECTS	8

static void
rects(const struct layout *lo, const struct rect *r[NRECTS])
{
	r[0] = &lo->topic;
	r[1] = &lo->rail;
	r[2] = &lo->channels;
	r[3] = &lo->messages;
	r[4] = &lo->members;
	r[5] = &lo->typing;
	r[6] = &lo->status;
	r[7] = &lo->input;
}

/*
 * Every cell of the screen is covered by exactly one visible rectangle,
 * every rectangle lies inside the screen and none has a negative size.
 */
static void
assert_tiles(const struct layout *lo, int lines, int cols)
{
	const struct rect	*r[NRECTS];
	unsigned char		*cover;
	int			 i, y, x;

	rects(lo, r);
	cover = calloc((size_t)lines * (size_t)cols, 1);
	ck_assert_ptr_nonnull(cover);
	for (i = 0; i < NRECTS; i++) {
		ck_assert_int_ge(r[i]->h, 0);
		ck_assert_int_ge(r[i]->w, 0);
		ck_assert_int_ge(r[i]->y, 0);
		ck_assert_int_ge(r[i]->x, 0);
		ck_assert_int_le(r[i]->y + r[i]->h, lines);
		ck_assert_int_le(r[i]->x + r[i]->w, cols);
		for (y = r[i]->y; y < r[i]->y + r[i]->h; y++) {
			for (x = r[i]->x; x < r[i]->x + r[i]->w; x++) {
				if (cover[y * cols + x] != 0)
					ck_abort_msg("%dx%d: rect %d overlaps "
					    "at %d,%d", cols, lines, i, y, x);
				cover[y * cols + x] = 1;
			}
		}
	}
	for (i = 0; i < lines * cols; i++) {
		if (!cover[i])
			ck_abort_msg("%dx%d: cell %d,%d uncovered", cols,
			    lines, i / cols, i % cols);
	}
	free(cover);
}

static void
compute(int lines, int cols, int rail, int members, int input_lines,
    struct layout *lo)
{
	struct layout_prefs	 p;

	p.rail = rail;
	p.members = members;
	p.input_lines = input_lines;
	memset(lo, 0xff, sizeof *lo);	/* every field must be written */
	layout_compute(lines, cols, &p, lo);
	assert_tiles(lo, lines, cols);
}

START_TEST(test_sizes_tile)
{
	static const int	 sizes[][2] = {
		{ 24, 80 }, { 50, 200 }, { 40, 120 }, { 30, 100 },
		{ 20, 50 }, { 5, 10 }, { 1, 1 }, { 2, 1 }, { 3, 7 },
		{ 10, 20 }, { 9, 19 }, { 60, 59 }, { 60, 60 }, { 24, 119 },
		{ 100, 300 }, { 4, 200 }
	};
	struct layout		 lo;
	size_t			 i;
	int			 t, il;

	for (i = 0; i < nitems(sizes); i++) {
		for (t = 0; t < 9; t++) {
			for (il = 1; il <= 12; il += 5)
				compute(sizes[i][0], sizes[i][1],
				    t / 3 - 1, t % 3 - 1, il, &lo);
		}
	}
}
END_TEST

START_TEST(test_wide)
{
	struct layout	 lo;

	compute(40, 120, -1, -1, 1, &lo);
	ck_assert_int_eq(lo.topic.y, 0);
	ck_assert_int_eq(lo.topic.h, 1);
	ck_assert_int_eq(lo.topic.w, 120);
	ck_assert_int_gt(lo.rail.w, 5);
	ck_assert_int_le(lo.rail.w, 8);
	ck_assert_int_ge(lo.channels.w, 20);
	ck_assert_int_le(lo.channels.w, 24);
	ck_assert_int_ge(lo.members.w, 20);
	ck_assert_int_le(lo.members.w, 24);
	ck_assert_int_eq(lo.rail.x, 0);
	ck_assert_int_eq(lo.channels.x, lo.rail.w);
	ck_assert_int_eq(lo.members.x + lo.members.w, 120);
	ck_assert_int_eq(lo.messages.h, 40 - 4);
	ck_assert_int_eq(lo.input.y, 39);
	ck_assert_int_eq(lo.input.h, 1);
	ck_assert_int_eq(lo.typing.y + 1, lo.input.y);
	ck_assert_int_eq(lo.status.h, 1);

	compute(50, 200, -1, -1, 1, &lo);
	ck_assert_int_gt(lo.rail.w, 0);
	ck_assert_int_gt(lo.members.w, 0);
	ck_assert_int_ge(lo.messages.w, 120);
}
END_TEST

START_TEST(test_medium)
{
	struct layout	 lo;

	compute(24, 80, -1, -1, 1, &lo);
	ck_assert_int_eq(lo.rail.w, 0);
	ck_assert_int_eq(lo.members.w, 0);
	ck_assert_int_gt(lo.channels.w, 0);
	ck_assert_int_ge(lo.messages.w, 50);
	ck_assert_int_eq(lo.topic.h, 1);

	compute(30, 100, -1, -1, 1, &lo);
	ck_assert_int_eq(lo.rail.w, 0);
	ck_assert_int_eq(lo.members.w, 0);
	ck_assert_int_gt(lo.channels.w, 0);
}
END_TEST

START_TEST(test_narrow)
{
	struct layout	 lo;

	compute(20, 50, -1, -1, 1, &lo);
	ck_assert_int_eq(lo.rail.w, 0);
	ck_assert_int_eq(lo.channels.w, 0);
	ck_assert_int_eq(lo.members.w, 0);
	ck_assert_int_eq(lo.topic.h, 0);
	ck_assert_int_eq(lo.messages.w, 50);
	ck_assert_int_gt(lo.messages.h, 0);
	ck_assert_int_eq(lo.status.h, 1);
	ck_assert_int_eq(lo.typing.h, 1);
	ck_assert_int_eq(lo.input.h, 1);
}
END_TEST

START_TEST(test_tiny)
{
	struct layout	 lo;

	compute(5, 10, -1, -1, 1, &lo);
	ck_assert_int_eq(lo.input.h, 1);
	ck_assert_int_eq(lo.input.y, 4);
	ck_assert_int_gt(lo.messages.h, 0);

	compute(1, 1, 1, 1, 3, &lo);
	ck_assert_int_eq(lo.input.h, 1);
	ck_assert_int_eq(lo.input.w, 1);
	ck_assert_int_eq(lo.messages.h, 0);

	compute(2, 40, -1, -1, 1, &lo);
	ck_assert_int_eq(lo.messages.h, 1);
	ck_assert_int_eq(lo.input.h, 1);

	memset(&lo, 0xff, sizeof lo);
	layout_compute(0, 0, NULL, &lo);
	ck_assert_int_eq(lo.input.h, 0);
	ck_assert_int_eq(lo.messages.w, 0);
	layout_compute(-3, 80, NULL, &lo);
	ck_assert_int_eq(lo.input.h, 0);
}
END_TEST

START_TEST(test_toggles)
{
	struct layout	 lo;

	/* Hide at wide sizes. */
	compute(40, 120, 0, 0, 1, &lo);
	ck_assert_int_eq(lo.rail.w, 0);
	ck_assert_int_eq(lo.members.w, 0);
	ck_assert_int_eq(lo.messages.w, 120 - lo.channels.w);
	/* Show at medium sizes. */
	compute(24, 80, 1, -1, 1, &lo);
	ck_assert_int_gt(lo.rail.w, 0);
	ck_assert_int_eq(lo.members.w, 0);
	compute(24, 100, -1, 1, 1, &lo);
	ck_assert_int_gt(lo.members.w, 0);
	ck_assert_int_ge(lo.messages.w, 20);
	/* Never squeeze the messages below a usable width. */
	compute(24, 60, 1, 1, 1, &lo);
	ck_assert_int_ge(lo.messages.w, 20);
	compute(24, 30, 1, 1, 1, &lo);
	ck_assert_int_ge(lo.messages.w, 20);
}
END_TEST

START_TEST(test_input_lines)
{
	struct layout	 lo;

	compute(24, 80, -1, -1, 3, &lo);
	ck_assert_int_eq(lo.input.h, 3);
	ck_assert_int_eq(lo.input.y, 21);
	ck_assert_int_eq(lo.typing.y, 20);
	/* A huge draft leaves room for messages. */
	compute(24, 80, -1, -1, 100, &lo);
	ck_assert_int_le(lo.input.h, 8);
	ck_assert_int_gt(lo.messages.h, 8);
	compute(24, 80, -1, -1, 0, &lo);
	ck_assert_int_eq(lo.input.h, 1);
}
END_TEST

Suite *
suite_layout(void)
{
	Suite	*s;
	TCase	*tc;

	s = suite_create("layout");
	tc = tcase_create("core");
	tcase_add_test(tc, test_sizes_tile);
	tcase_add_test(tc, test_wide);
	tcase_add_test(tc, test_medium);
	tcase_add_test(tc, test_narrow);
	tcase_add_test(tc, test_tiny);
	tcase_add_test(tc, test_toggles);
	tcase_add_test(tc, test_input_lines);
	suite_add_tcase(s, tc);
	return s;
}
