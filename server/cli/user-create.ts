// npm run user:create -- --username NAME --role ROLE [--district CODE] [--name 显示名]
//                        [--organisation NAME] [--password-stdin]
// Without --password-stdin a strong password is generated and printed once.
import { randomBytes } from 'node:crypto';
import { asSystem } from '../db/context.ts';
import { configOrExit, fail, openPlatformOrExit, parseCommandLine } from './common.ts';
import type { UserRole } from '../db/schema.ts';
import { AppError } from '../errors.ts';
import { recordAudit } from '../modules/audit/repository.ts';
import { createUser } from '../modules/users/repository.ts';
import { ALL_ROLES } from '../modules/auth/roles.ts';

const ROLES = ALL_ROLES;
const USAGE = `usage: npm run user:create -- --username NAME --role ROLE [--district CODE] [--name DISPLAY_NAME]
                            [--organisation ORGANISATION_NAME] [--password-stdin]
roles: ${ROLES.join(', ')}`;

async function readStdin(): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const chunk of process.stdin) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks).toString('utf8').replace(/\r?\n$/, '');
}

const { values } = parseCommandLine(
  {
    options: {
      username: { type: 'string' },
      role: { type: 'string' },
      district: { type: 'string' },
      name: { type: 'string' },
      organisation: { type: 'string' },
      'password-stdin': { type: 'boolean', default: false },
      help: { type: 'boolean', default: false },
    },
  },
  USAGE,
);

if (!values.username) fail(`--username is required\n${USAGE}`);
if (!values.role || !ROLES.includes(values.role as UserRole)) fail(`--role must be one of ${ROLES.join(', ')}\n${USAGE}`);

const generated = !values['password-stdin'];
const password = generated ? randomBytes(12).toString('base64url') : await readStdin();

const config = configOrExit();
const { db } = await openPlatformOrExit(config);
try {
  const user = await asSystem(db, async (tx) => {
    let organisationId: string | null = null;
    if (values.organisation) {
      const organisation = await tx.selectFrom('organisations').select('id').where('name', '=', values.organisation).executeTakeFirst();
      if (!organisation) fail(`no organisation named "${values.organisation}"`);
      organisationId = organisation.id;
    }
    const created = await createUser(tx, {
      username: values.username!,
      displayName: values.name ?? values.username!,
      role: values.role as UserRole,
      districtCode: values.district ?? null,
      organisationId,
      password,
    });
    await recordAudit(tx, null, { action: 'user.create', objectType: 'user', objectId: created.id, detail: { username: created.username, role: created.role, via: 'cli' } });
    return created;
  });
  console.log(`created ${user.username} (${user.role}${user.districtCode ? `, district ${user.districtCode}` : ''})`);
  if (generated) console.log(`password: ${password}`);
} catch (error) {
  if (error instanceof AppError) {
    console.error(`${error.code}: ${error.zh} / ${error.en}`);
    process.exitCode = 1;
  } else {
    throw error;
  }
} finally {
  await db.close();
}
