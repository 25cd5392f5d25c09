import { z } from 'zod';

/** An image reference or id as Docker accepts it (name[:tag][@digest], sha256:…, short id). */
export const imageRef = z
  .string()
  .trim()
  .min(1, 'Give an image reference.')
  .max(512)
  .regex(/^[A-Za-z0-9][A-Za-z0-9._\-/:@]*$/, 'Use a reference like busybox:latest or 127.0.0.1:5000/app:1.');

export const refInput = z.object({ ref: imageRef });
export const tagInput = z.object({
  ref: imageRef,
  repo: z.string().trim().min(1, 'Give a repository.').max(255).regex(/^[a-z0-9][a-z0-9._\-/:]*$/, 'Repositories are lower-case: letters, digits, . _ - / and a registry host:port.'),
  tag: z.string().trim().max(128).regex(/^[A-Za-z0-9_][A-Za-z0-9_.-]*$|^$/, 'Tags use letters, digits, _ . -').default('latest'),
});
export const removeImageInput = z.object({ ref: imageRef, force: z.boolean().default(false) });
export const pruneImagesInput = z.object({ all: z.boolean().default(false) }).default({ all: false });
