import fs from 'node:fs';
import path from 'node:path';
import { listTemplates, newGuestProject } from '../../../guest-templates/toolchain';
import { UsageError, type ParsedArgs } from '../args';
import type { Command } from '../command';
import { EXIT_FAILURE, EXIT_OK, type Io } from '../io';

export const newCommand: Command = {
  spec: {
    name: 'new',
    summary: 'Create a guest project from a template.',
    positionals: [{ name: 'template', optional: true }, { name: 'dir', optional: true }],
    flags: [{ name: 'list', description: 'list the available templates and exit' }],
    details: 'Example: microvm new c-hello my-guest && microvm build my-guest',
  },
  async run(args: ParsedArgs, io: Io): Promise<number> {
    const templates = listTemplates();
    if (args.flags.has('list')) {
      io.out(templates.map((t) => `${t}\n`).join(''));
      return EXIT_OK;
    }
    const [template, dir] = args.positionals;
    if (template === undefined || dir === undefined) {
      throw new UsageError(`missing ${template === undefined ? '<template> <dir>' : '<dir>'} (templates: ${templates.join(', ')})`);
    }
    if (!templates.includes(template)) {
      throw new UsageError(`unknown template '${template}' (templates: ${templates.join(', ')})`);
    }
    const target = path.resolve(io.cwd, dir);
    if (fs.existsSync(target) && (!fs.statSync(target).isDirectory() || fs.readdirSync(target).length > 0)) {
      io.err(`microvm new: ${dir} already exists and is not an empty directory\n`);
      return EXIT_FAILURE;
    }
    newGuestProject(template, target);
    io.out(`Created a ${template} guest project in ${dir}\nNext: microvm build ${dir}\n`);
    return EXIT_OK;
  },
};
