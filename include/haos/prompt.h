/* Line prompts on the controlling terminal, with or without echo. */
#ifndef HAOS_PROMPT_H
#define HAOS_PROMPT_H

#include "haos/haos.h"

char	*prompt_line(const char *question, struct haos_error *);
char	*prompt_secret(const char *question, struct haos_error *);

#endif
