/* Image files read with gdk-pixbuf (image.c): the only home of its header. */
#ifndef HAOS_IMAGE_H
#define HAOS_IMAGE_H

struct haos_error;

/*
 * What a file's header says, without decoding it: the loader's name
 * ("png", "jpeg", "gif", "webp", ...; allocated) and *w x *h, or NULL
 * when no loader takes the file.
 */
char	*image_probe(const char *path, int *w, int *h);

/*
 * The whole file decoded into 8-bit RGB or RGBA rows (alpha set): 0, or
 * -1 with err (the message never names the file).  image_free() lets
 * the pixels go.
 */
struct image {
	const unsigned char	*pixels;
	int			 w;
	int			 h;
	int			 rowstride;
	int			 alpha;
	void			*handle;	/* the decoder's */
};
int	 image_load(const char *path, struct image *, struct haos_error *);
void	 image_free(struct image *);

#endif
