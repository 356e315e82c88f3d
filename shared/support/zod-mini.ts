import { en } from 'zod/locales';
import * as z from 'zod/mini';

// zod/mini, the tree-shakable zod the functions' schemas are written in. Classic zod sets its English messages when its
// first schema is built; zod/mini sets none (every default message would be "Invalid input"). The same messages, set
// as classic sets them: only when no locale is configured yet.
if (!z.config().localeError) z.config(en());

export * from 'zod/mini';
