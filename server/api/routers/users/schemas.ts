import { z } from 'zod';
import { ROLES } from '../../../auth/roles.ts';
import { newPasswordSchema, usernameSchema } from '../auth/schemas.ts';

export const roleSchema = z.enum(ROLES);
export const createUserInput = z.object({ username: usernameSchema, password: newPasswordSchema, role: roleSchema });
export const setRoleInput = z.object({ id: z.string().min(1).max(64), role: roleSchema });
export const resetPasswordInput = z.object({ id: z.string().min(1).max(64), password: newPasswordSchema });
export const removeUserInput = z.object({ id: z.string().min(1).max(64) });
