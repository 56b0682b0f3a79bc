import { canonicalKeyPath } from '../registry.js';
import { fail, ok, text } from '../tool.js';
import type { GuestProgram } from './program.js';

/** `reg query|add|delete` for the values scenarios set (TrackNblOwner, CrashControl …). */
export const reg: GuestProgram = (args, guest) => {
  const [verb, key, ...rest] = args;
  const option = (name: string) => {
    const i = rest.findIndex((a) => a.toLowerCase() === name);
    return i >= 0 ? rest[i + 1] : undefined;
  };
  const missing = fail(
    '',
    1,
    text('ERROR: The system was unable to find the specified registry key or value.'),
  );
  if (!verb || !key) return fail('', 1, text('ERROR: Invalid syntax.', 'Type "REG /?" for usage.'));
  let canonical: string;
  try {
    canonical = canonicalKeyPath(key);
  } catch {
    return fail('', 1, text('ERROR: Invalid key name.', 'Type "REG /?" for usage.'));
  }
  const name = option('/v');
  switch (verb.toLowerCase()) {
    case 'query': {
      if (!guest.registry.keyExists(canonical)) return missing;
      const values = Object.values(guest.state.registry.keys[canonical.toLowerCase()]?.values ?? {}).filter(
        (v) => name === undefined || v.name.toLowerCase() === name.toLowerCase(),
      );
      if (name !== undefined && values.length === 0) return missing;
      const kinds = {
        DWord: 'REG_DWORD',
        QWord: 'REG_QWORD',
        String: 'REG_SZ',
        ExpandString: 'REG_EXPAND_SZ',
        MultiString: 'REG_MULTI_SZ',
        Binary: 'REG_BINARY',
      };
      const lines = ['', guest.state.registry.keys[canonical.toLowerCase()]?.path ?? canonical];
      for (const v of values) {
        const data =
          typeof v.data === 'number'
            ? `0x${v.data.toString(16)}`
            : Array.isArray(v.data)
              ? v.data.join('\\0')
              : v.data;
        lines.push(`    ${v.name}    ${kinds[v.kind]}    ${data}`);
      }
      lines.push('');
      return ok(text(...lines));
    }
    case 'add': {
      const type = (option('/t') ?? 'REG_SZ').toUpperCase();
      const data = option('/d') ?? '';
      if (name === undefined) {
        guest.registry.createKey(canonical);
        return ok(text('The operation completed successfully.'));
      }
      if (type === 'REG_DWORD' || type === 'REG_QWORD') {
        const n = /^0x[0-9a-f]+$/i.test(data) ? Number.parseInt(data.slice(2), 16) : Number(data);
        if (!Number.isInteger(n) || n < 0)
          return fail('', 1, text('ERROR: Invalid syntax.', 'Type "REG ADD /?" for usage.'));
        guest.registry.set(canonical, name, type === 'REG_DWORD' ? 'DWord' : 'QWord', n);
      } else if (type === 'REG_SZ' || type === 'REG_EXPAND_SZ') {
        guest.registry.set(canonical, name, type === 'REG_SZ' ? 'String' : 'ExpandString', data);
      } else {
        return fail('', 1, text('ERROR: Invalid syntax.', 'Type "REG ADD /?" for usage.'));
      }
      return ok(text('The operation completed successfully.'));
    }
    case 'delete':
      if (
        name !== undefined
          ? !guest.registry.deleteValue(canonical, name)
          : !guest.registry.deleteKey(canonical)
      ) {
        return missing;
      }
      return ok(text('The operation completed successfully.'));
    default:
      return fail('', 1, text('ERROR: Invalid syntax.', 'Type "REG /?" for usage.'));
  }
};
