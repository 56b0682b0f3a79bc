/** shutdown: schedules (or aborts) a restart or power-off of the guest through its host. */
import { fail, ok, text } from '../tool.js';
import type { GuestProgram } from './program.js';

export const shutdown: GuestProgram = (args, guest) => {
  const host = guest.host;
  const lower = args.map((a) => a.toLowerCase().replace(/^-/, '/'));
  if (lower.includes('/a')) {
    return host.abortShutdown()
      ? ok('')
      : fail(text('Unable to abort the system shutdown because no shutdown was in progress.(1116)'), 1116);
  }
  const reboot = lower.includes('/r') || lower.includes('/g');
  const off = lower.includes('/s') || lower.includes('/p') || lower.includes('/sg');
  if (!reboot && !off) {
    return ok(
      text(
        'Usage: shutdown [/i | /l | /s | /sg | /r | /g | /a | /p | /h | /e | /o] [/hybrid] [/soft] [/fw] [/f]',
        '    [/m \\\\computer][/t xxx][/d [p|u:]xx:yy [/c "comment"]]',
      ),
    );
  }
  let delay = 30;
  const t = lower.indexOf('/t');
  if (t >= 0) {
    const v = Number(args[t + 1]);
    if (!Number.isInteger(v) || v < 0 || v > 315360000)
      return fail(text('The parameter is incorrect.(87)'), 87);
    delay = v;
  }
  if (lower.includes('/p')) delay = 0;
  return host.scheduleShutdown(reboot, delay) === 'scheduled'
    ? ok('')
    : fail(text('A system shutdown has already been scheduled.(1190)'), 1190);
};
