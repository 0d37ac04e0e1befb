/* Client-only commands: every usage word parses once to a distinct action. */
#include "check_haos.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "haos/cmd.h"
#include "haos/xmalloc.h"

/* What the stub client was asked last. */
static enum ui_action	 test_act;
static char		 test_param[64];

static int
test_action(void *arg __unused, enum ui_action act, const char *param)
{
	test_act = act;
	snprintf(test_param, sizeof test_param, "%s",
	    param != NULL ? param : "(null)");
	return 0;
}

static const struct cmd_ui_ops test_ui_ops = { .action = test_action };

/*
 * Every word of the usage of a command that cmd_ui_exec runs maps to an
 * action of its own ("N" and the words in "[...]" included).
 */
START_TEST(test_usage_words)
{
	const struct cmd_entry	*ce;
	enum ui_action		 seen[128], act;
	char			*u, *w, *p;
	size_t			 i, nseen = 0, j, nui = 0;

	for (i = 0; i < cmd_table_size; i++) {
		ce = cmd_table[i];
		if (ce->exec != cmd_ui_exec)
			continue;
		nui++;
		if (ce->args.min == 0) {
			act = cmd_ui_parse(ce->name, NULL);
			ck_assert_msg(act != UI_ACT_NONE, "%s", ce->name);
			seen[nseen++] = act;
		}
		if (ce->args.max == 0)
			continue;
		u = xstrdup(ce->usage);
		for (p = u; *p != '\0'; p++) {
			if (*p == '[' || *p == ']')
				*p = ' ';
		}
		for (w = u; (p = strsep(&w, "| ")) != NULL;) {
			if (*p == '\0')
				continue;
			act = cmd_ui_parse(ce->name, strcmp(p, "N") == 0 ?
			    "2" : p);
			ck_assert_msg(act != UI_ACT_NONE, "%s %s", ce->name,
			    p);
			for (j = 0; j < nseen; j++)
				ck_assert_msg(seen[j] != act, "%s %s twice",
				    ce->name, p);
			ck_assert_uint_lt(nseen, nitems(seen));
			seen[nseen++] = act;
		}
		free(u);
	}
	ck_assert_uint_ge(nui, 10);
	ck_assert_int_eq(cmd_ui_parse("input", "kill-end-or-switcher"),
	    UI_ACT_INPUT_KILL_END_OR_SWITCHER);
	ck_assert_int_eq(cmd_ui_parse("scroll", "sideways"), UI_ACT_NONE);
	ck_assert_int_eq(cmd_ui_parse("scroll", NULL), UI_ACT_NONE);
	ck_assert_int_eq(cmd_ui_parse("toggle", "members"),
	    UI_ACT_TOGGLE_MEMBERS);
	ck_assert_int_eq(cmd_ui_parse("select-message", NULL),
	    UI_ACT_SELECT_MESSAGE);
}
END_TEST

/* A bound command string reaches the client as its action and word. */
START_TEST(test_exec)
{
	struct cmd_ctx		 ctx;
	struct test_capture	 c = { 0 };

	test_capture_init(&ctx, &c, "@alice:haos.test");
	ctx.ui = &test_ui_ops;
	ck_assert_int_eq(cmd_run_string(&ctx, "scroll top"),
	    CMD_RETURN_NORMAL);
	ck_assert_int_eq(test_act, UI_ACT_SCROLL_TOP);
	ck_assert_int_eq(cmd_run_string(&ctx, "select-server 3"),
	    CMD_RETURN_NORMAL);
	ck_assert_int_eq(test_act, UI_ACT_SELECT_SERVER);
	ck_assert_str_eq(test_param, "3");
	ck_assert_int_eq(cmd_run_string(&ctx, "members kick"),
	    CMD_RETURN_NORMAL);
	ck_assert_int_eq(test_act, UI_ACT_MEMBERS_KICK);
	ck_assert_int_eq(cmd_run_string(&ctx, "mark-read"),
	    CMD_RETURN_NORMAL);
	ck_assert_int_eq(test_act, UI_ACT_MARK_READ);
	test_act = UI_ACT_NONE;
	ck_assert_int_eq(cmd_run_string(&ctx, "toggle sideways"),
	    CMD_RETURN_ERROR);
	ck_assert_int_eq(test_act, UI_ACT_NONE);
	ck_assert_ptr_nonnull(strstr(c.out, "toggle: unknown action sideways"));
	test_capture_free(&c);
	cmd_ctx_clear(&ctx);
}
END_TEST

Suite *
suite_ui_action(void)
{
	Suite	*s = suite_create("ui_action");
	TCase	*tc = tcase_create("parse");

	tcase_add_test(tc, test_usage_words);
	tcase_add_test(tc, test_exec);
	suite_add_tcase(s, tc);
	return s;
}
