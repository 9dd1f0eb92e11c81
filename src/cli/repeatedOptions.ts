import type { Command } from 'commander';

/**
 * Makes an option given twice with different values a usage error on each of the program's commands: commander
 * keeps the last value, which would drop the first silently (`--columns a,b --columns c` fits on c alone).
 */
export function refuseRepeatedOptions(program: Command): void {
  for (const command of program.commands) {
    for (const option of command.options) {
      // flags without a value say the same thing twice; a variadic option collects its values on purpose
      if (!(option.required || option.optional) || option.variadic) continue;
      let first: string | undefined;
      command.on(`option:${option.name()}`, (value: string) => {
        if (first === undefined) first = value;
        else if (value !== first) {
          command.error(`error: option '${option.flags}' given twice (${JSON.stringify(first)}, then ${JSON.stringify(value)}): give it once`, { exitCode: 2, code: 'segkit.repeatedOption' });
        }
      });
    }
  }
}
