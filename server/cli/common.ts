// What every command-line tool does the same way: refuse with a message and an exit code, parse
// its arguments (printing the usage on --help or a bad argument), read the configuration and
// open the platform's database.
import { parseArgs, type ParseArgsConfig } from 'node:util';
import { ConfigError, loadConfig, type Config } from '../config.ts';
import { AppError } from '../errors.ts';
import { prepareDatabase, type PreparedDatabase } from '../platform.ts';

export function fail(message: string, code = 2): never {
  console.error(message);
  process.exit(code);
}

/** parseArgs with the usage printed on --help (exit 0) or on an argument it cannot take (exit 2). */
export function parseCommandLine<T extends ParseArgsConfig>(config: T, usage: string): ReturnType<typeof parseArgs<T>> {
  let parsed: ReturnType<typeof parseArgs<T>>;
  try {
    parsed = parseArgs(config);
  } catch (error) {
    return fail(`${(error as Error).message}\n${usage}`);
  }
  if ((parsed.values as { help?: boolean }).help) {
    console.log(usage);
    process.exit(0);
  }
  return parsed;
}

export function configOrExit(): Config {
  try {
    return loadConfig();
  } catch (error) {
    if (error instanceof ConfigError) fail(error.message);
    throw error;
  }
}

export function openPlatformOrExit(config: Config, exitCode = 2): Promise<PreparedDatabase> {
  return prepareDatabase(config).catch((error: Error) => fail(`无法打开数据库 / cannot open the database: ${error.message}`, exitCode));
}

/** A refusal the platform explains (AppError) is printed in both languages with exit code 1; anything else is a crash. */
export function reportRefusal(error: unknown): void {
  if (!(error instanceof AppError)) throw error;
  console.error(`${error.code}: ${error.zh}\n${error.en}`);
  process.exitCode = 1;
}
