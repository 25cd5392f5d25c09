import { z } from 'zod';
import { MIN_PASSWORD_LENGTH } from '../../../auth/password.ts';

export const usernameSchema = z
  .string()
  .trim()
  .min(2, 'Username must be at least 2 characters.')
  .max(64, 'Username must be at most 64 characters.')
  .regex(/^[a-zA-Z0-9][a-zA-Z0-9._-]*$/, 'Use letters, digits, dot, dash and underscore.');

export const newPasswordSchema = z
  .string()
  .min(MIN_PASSWORD_LENGTH, `Password must be at least ${MIN_PASSWORD_LENGTH} characters.`)
  .max(1024, 'Password is too long.');

export const loginInput = z.object({ username: z.string().trim().min(1).max(64), password: z.string().min(1).max(1024) });
export const setupInput = z.object({ username: usernameSchema, password: newPasswordSchema, setupToken: z.string().max(200).optional() });
export const changePasswordInput = z.object({ currentPassword: z.string().min(1).max(1024), newPassword: newPasswordSchema });
