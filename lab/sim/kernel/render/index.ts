/**
 * The renderer: a debugger command line in, exactly the text KD prints out (no prompt), from the
 * kernel state alone. Deterministic; it never throws: a command KD would refuse gets KD's refusal.
 *
 * Commands rendered: !analyze [-v], .bugcheck, k / kn / kb / kv / kp, lm, r, .cxr, u, ub,
 * db / dd / dc / dq / dp, s -a, !for_each_module, ?, !pool, !pte, !thread, !locks, !verifier 100,
 * !ndiskd.pendingnbls, !ndiskd.miniport, !vm, .fnent, ln, .echo, and on a dump g / .reboot.
 * Several commands may share a line, separated by ';' as KD allows.
 */
import { hex16 } from '../hex.js';
import type { KernelState } from '../state.js';
import { renderAnalyze, renderAnalyzeVerbose, renderBugcheck } from './analyze.js';
import { CommandError, currentThread, promptOf, type RenderContext, registersOf } from './context.js';
import { evaluate } from './expr.js';
import {
  renderDisplay,
  renderForEachModule,
  renderRegisters,
  renderSearch,
  renderUnassemble,
  renderUnassembleBackwards,
} from './memory.js';
import {
  renderEvaluate,
  renderFnent,
  renderLm,
  renderLn,
  renderLocks,
  renderMiniport,
  renderPendingNbls,
  renderThread,
  renderVerifierIrpLog,
  renderVm,
} from './objects.js';
import { renderPool, renderPte } from './pool.js';
import { renderKb, renderKn, rows } from './stack.js';

export type { RenderContext } from './context.js';

export interface Rendered {
  text: string;
  /** The context after the command (`.cxr` changes the register scope). */
  context: RenderContext;
}

/** Splits a command line at the ';' KD treats as a separator (not inside quotes). */
export function splitCommands(line: string): string[] {
  const out: string[] = [];
  let current = '';
  let quoted = false;
  for (const c of line) {
    if (c === '"') quoted = !quoted;
    if (c === ';' && !quoted) {
      out.push(current);
      current = '';
    } else current += c;
  }
  out.push(current);
  return out.map((c) => c.trim()).filter((c) => c !== '');
}

function caretError(context: RenderContext, message: string): string {
  return `${' '.repeat(promptOf(context).length)}^ ${message}`;
}

function one(command: string, state: KernelState, context: RenderContext): Rendered {
  const same = (text: string): Rendered => ({ text, context });
  const m = /^(\S+)\s*(.*)$/s.exec(command);
  const verb = (m?.[1] ?? '').toLowerCase();
  const args = m?.[2] ?? '';
  const thread = currentThread(state);
  const ip = () => BigInt(`0x${registersOf(state, context).rip}`);

  if (verb.startsWith('?') && verb !== '?') return same(renderEvaluate(command.slice(1), state, context));
  switch (verb) {
    case '!analyze':
    case '!ext.analyze':
      return same(/(^|\s)-v\b/.test(args) ? renderAnalyzeVerbose(state, context) : renderAnalyze(state));
    case '.bugcheck':
      return same(renderBugcheck(state));
    // A current kd numbers the frames of k as kn does (a public capture of kd 10.0.27829 shows ` # `).
    case 'k':
    case 'kp':
    case 'kc':
    case 'kn':
      return same(thread ? renderKn(rows(state, thread, context)) : '');
    case 'kb':
    case 'kv':
      return same(thread ? renderKb(rows(state, thread, context)) : '');
    case 'lm':
      return same(renderLm(state));
    case 'r':
      return same(renderRegisters(state, registersOf(state, context)));
    case '.cxr': {
      if (args.trim() === '') return { text: 'Resetting default scope', context: { ...context, cxr: null } };
      const at = hex16(evaluate(args, state, context));
      const next = { ...context, cxr: at };
      return { text: renderRegisters(state, registersOf(state, next)), context: next };
    }
    case 'u':
      return same(renderUnassemble(args, state, context, ip()));
    case 'ub':
      return same(renderUnassembleBackwards(args, state, context, ip()));
    case 'db':
    case 'dd':
    case 'dc':
    case 'dq':
    case 'dp':
      return same(renderDisplay(verb === 'dp' ? 'dq' : verb, args, state, context));
    case 's':
      return same(renderSearch(args, state, context));
    case '!for_each_module':
      return same(renderForEachModule(args, state, context, (c) => render(c, state, context)));
    case '?':
      return same(renderEvaluate(args, state, context));
    case '!pool':
      return same(renderPool(args, state, context));
    case '!pte':
      return same(renderPte(args, state, context));
    case '!thread':
      return same(renderThread(args, state, context));
    case '!locks':
      return same(renderLocks(state));
    case '!verifier': {
      const parts = args
        .trim()
        .split(/\s+/)
        .filter((p) => p !== '');
      const flags = parts[0] ? Number(evaluate(parts[0], state, context)) : 0;
      if (flags === 0x100) return same(renderVerifierIrpLog(parts, state, context));
      throw new CommandError(`Syntax error in '!verifier ${args.trim()}'`);
    }
    case '!ndiskd.pendingnbls':
      return same(renderPendingNbls(state));
    case '!ndiskd.miniport':
      return same(renderMiniport(args, state, context));
    case '!vm':
      return same(renderVm(state));
    case '.fnent':
      return same(renderFnent(args, state, context));
    case 'ln':
      return same(renderLn(args, state, context));
    case '.echo':
      return same(args.trim().replace(/^"(.*)"$/s, '$1'));
    case 'g':
    case 'gh':
    case 'gn':
    case '.reboot':
    case '.crash':
      // On a dump nothing can run. UNCERTAIN for .reboot/.crash: the text is the one kd prints for
      // `g` on a dump; no capture of their own refusal was found. On a live target the debug target
      // runs these, not the renderer.
      return same(
        context.source === 'dump' ? caretError(context, `No runnable debuggees error in '${command}'`) : '',
      );
    default:
      if (verb.startsWith('!')) return same(`No export ${verb.slice(1).split('.').pop() ?? ''} found`);
      return same(caretError(context, `Syntax error in '${command}'`));
  }
}

/** Renders a command line and returns the text with the context it leaves. Never throws. */
export function renderCommand(line: string, state: KernelState, context: RenderContext): Rendered {
  let current = context;
  const texts: string[] = [];
  for (const command of splitCommands(line)) {
    try {
      const rendered = one(command, state, current);
      current = rendered.context;
      texts.push(rendered.text);
    } catch (error) {
      if (error instanceof CommandError) {
        const message = error.message;
        texts.push(
          /^(Syntax error in|Bad register error)/.test(message) ? caretError(current, message) : message,
        );
      } else texts.push(caretError(current, `Syntax error in '${command}'`));
    }
  }
  return { text: texts.join('\n'), context: current };
}

/** The text KD prints for a command line (context changes are dropped; see renderCommand). */
export function render(line: string, state: KernelState, context: RenderContext): string {
  return renderCommand(line, state, context).text;
}
