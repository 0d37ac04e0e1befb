/* Internals shared by client.c and client-send.c. */
#ifndef HAOS_CLIENT_INT_H
#define HAOS_CLIENT_INT_H

struct client;
struct job;

/* Hand j to the net thread (or the test hook); j is theirs from now. */
void	client_queue_job(struct client *, struct job *);
/* The net thread the client talks to (NULL in the unit tests). */
struct net *client_net(struct client *);

#endif
