/**
 * The small numeric parameters of steps: hex values and KDNET ports.
 */
import { ConfigurationError } from '../errors.js';

/** The ports KDNET accepts: kd takes 49152–65535, bcdedit asks for 49152 or higher (domain brief §2.2, §3.1). */
export const KDNET_PORTS = { min: 49152, max: 65535 } as const;

/** "0x28" → 40; the hex a step names (a SCSI opcode, a status byte, a pattern). */
export function parseHex(text: string): number {
  const t = text.trim();
  if (!/^0x[0-9a-f]{1,8}$/i.test(t)) {
    throw new ConfigurationError(
      `'${text}' is not a hex value; write it as 0x followed by one to eight hex digits, such as 0x28.`,
    );
  }
  return Number.parseInt(t.slice(2), 16);
}

/** A KDNET port; outside 49152–65535 it is a configuration error, since kd listens only there. */
export function parsePort(text: string): number {
  const port = Number(text.trim());
  if (!/^\d+$/.test(text.trim()) || port < KDNET_PORTS.min || port > KDNET_PORTS.max) {
    throw new ConfigurationError(
      `Port '${text}' cannot carry KDNET, because KDNET ports are ${KDNET_PORTS.min}–${KDNET_PORTS.max}; choose a port in that range (50000 is the usual one).`,
    );
  }
  return port;
}
