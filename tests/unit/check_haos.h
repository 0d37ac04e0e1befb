/* Suites of the unit test runner; one per module. */
#ifndef HAOS_CHECK_HAOS_H
#define HAOS_CHECK_HAOS_H

#include <check.h>

Suite	*suite_activity(void);
Suite	*suite_attachment(void);
Suite	*suite_backup(void);
Suite	*suite_lock(void);
Suite	*suite_call(void);
Suite	*suite_cli(void);
Suite	*suite_client(void);
Suite	*suite_cmd(void);
Suite	*suite_config(void);
Suite	*suite_crypto(void);
Suite	*suite_crypto_out(void);
Suite	*suite_devices(void);
Suite	*suite_download(void);
Suite	*suite_conversation(void);
Suite	*suite_editor(void);
Suite	*suite_error(void);
Suite	*suite_gossip(void);
Suite	*suite_graphics(void);
Suite	*suite_html(void);
Suite	*suite_hyperlink(void);
Suite	*suite_files(void);
Suite	*suite_http(void);
Suite	*suite_ingest(void);
Suite	*suite_ingest_stream(void);
Suite	*suite_json(void);
Suite	*suite_keyreq(void);
Suite	*suite_layout(void);
Suite	*suite_log(void);
Suite	*suite_markdown(void);
Suite	*suite_matrix(void);
Suite	*suite_mention(void);
Suite	*suite_moderation(void);
Suite	*suite_notify(void);
Suite	*suite_olm(void);
Suite	*suite_outbox_match(void);
Suite	*suite_paths(void);
Suite	*suite_presence(void);
Suite	*suite_preview(void);
Suite	*suite_recv(void);
Suite	*suite_refresh(void);
Suite	*suite_render(void);
Suite	*suite_sanitize(void);
Suite	*suite_sas(void);
Suite	*suite_session(void);
Suite	*suite_secrets(void);
Suite	*suite_space(void);
Suite	*suite_store(void);
Suite	*suite_ui_action(void);
Suite	*suite_upload(void);
Suite	*suite_xsign(void);

/* Helpers shared by suites (check_main.c). */
char	*test_fixture(const char *rel);
char	*test_tmpdir(void);
void	 test_rmtree(const char *dir);
char	*test_read_file(const char *path);

/* A command context that captures messages and submitted jobs. */
struct cmd_ctx;
struct job;
struct client;
struct store;
struct test_capture {
	char		 out[8192];	/* messages, one a line */
	int		 errors;
	struct job	*jobs[32];
	int		 njobs;
	struct client	*client;	/* jobs come here, not to a net */
	struct cmd_ctx	*ctx;
};
void	 test_capture_init(struct cmd_ctx *, struct test_capture *,
	    const char *me);
/* Free the jobs and the client (its pending requests are cancelled). */
void	 test_capture_free(struct test_capture *);
/* The store the commands (and the client) read. */
void	 test_capture_store(struct test_capture *, struct store *);

#endif
