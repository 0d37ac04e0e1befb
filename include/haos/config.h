/* Configuration: the INI file, its key table and the selected account. */
#ifndef HAOS_CONFIG_H
#define HAOS_CONFIG_H

#include "haos/haos.h"

#include <stdio.h>

#define CONFIG_DEFAULT_PROFILE	"default"

/* One [account] or [account NAME] section. */
struct account {
	char	*profile;		/* "default" for [account] */
	char	*user;			/* @alice:example.org */
	char	*homeserver;		/* https://..., or NULL: discover */
	char	*password_command;	/* first output line is the password */
	char	*password;		/* plaintext; only in a 0600 file */
	char	*device_name;		/* NULL: "haos on HOSTNAME" */
	int	 line;			/* line of the section header */
};

struct config {
	char		*path;		/* file read, NULL when none */
	struct account	*accounts;
	int		 naccounts;

	/* [network] */
	char		*ca_file;
	int		 connect_timeout;	/* seconds */
	int		 request_timeout;	/* seconds */
	int		 sync_timeout;		/* seconds */
	char		*invite_service;	/* HAOS invite lookup URL */

	/* [log] */
	char		*log_level;

	/* [ui] */
	char		*ui_ascii;		/* auto|yes|no */
	char		*ui_color;		/* auto|truecolor|256|16|none */
	char		*ui_mouse;		/* yes|no */
	char		*ui_seconds;		/* yes|no */
	char		*ui_members;		/* auto|yes|no */
	char		*ui_message_locks;	/* yes|no */
	char		*ui_hyperlinks;		/* auto|yes|no: OSC 8 */
	int		 ui_idle;		/* minutes; 0: never away */
	char		*ui_image_preview;	/* auto|symbols|sixel|kitty|off */
	int		 ui_image_preview_lines;

	/* [theme] colours: a name, 0-255, #rrggbb or "default" */
	char		*theme_accent;
	char		*theme_dim;
	char		*theme_mention;
	char		*theme_link;
	char		*theme_error;
	char		*theme_senders;		/* comma-separated list */

	/* [notify]: yes|no each */
	char		*notify_bell;		/* BEL */
	char		*notify_osc777;		/* OSC 777 desktop notification */
	char		*notify_osc9;		/* OSC 9 desktop notification */
	char		*notify_dm;		/* every direct message */
	char		*notify_mentions;	/* mentions of me */

	/* [crypto] */
	char		*crypto_share_keys;	/* all|cross_signed */
	/* [files] */
	char		*files_download_dir;	/* NULL: XDG (files.h) */
	char		*files_open_command;	/* "" : never open */

	/* [keys]: free-form KEY = command lines, in file order */
	struct config_binding	*bindings;
	int			 nbindings;
};

/* One line of [keys]: the key name is checked by the client. */
struct config_binding {
	char	*key;			/* "C-k", "M-Up", "F5" */
	char	*command;		/* "switcher", "" to unbind */
	int	 line;
};

enum config_type {
	CONFIG_STRING,
	CONFIG_USER_ID,
	CONFIG_URL,
	CONFIG_PATH,
	CONFIG_INT,
	CONFIG_CHOICE,
	CONFIG_COLOR,		/* name, 0-255, #rrggbb, default */
	CONFIG_BINDING		/* [keys]: any key name */
};

/* One row of config_table[]: the single source for parsing and docs. */
struct config_key {
	const char		*section;	/* "account" matches NAME too */
	const char		*name;
	enum config_type	 type;
	const char		*def;		/* NULL: no default */
	int			 min, max;	/* CONFIG_INT */
	const char		*choices;	/* CONFIG_CHOICE: "a|b|c" */
	const char		*example;	/* shown uncommented in the dump */
	int			 required;
	const char		*help;
};

extern const struct config_key	config_table[];
extern const unsigned int	config_table_size;

void		 config_init(struct config *);
int		 config_load(struct config *, const char *path, int must_exist,
		     struct haos_error *);
int		 config_load_stream(struct config *, FILE *, const char *name,
		     struct haos_error *);
int		 config_check_permissions(const struct config *, int fd,
		     struct haos_error *);
struct account	*config_account(const struct config *, const char *profile,
		     struct haos_error *);
void		 config_free(struct config *);
void		 config_dump(FILE *);
int		 config_valid_profile(const char *);
int		 config_valid_color(const char *);

#endif
