/**
 * The simulated guest's registry: keys by canonical path, values by name, plain JSON. Accepts the
 * spellings scripts and tools use (HKLM:\…, HKLM\…, HKEY_LOCAL_MACHINE\…, Registry::…) and maps
 * CurrentControlSet to ControlSet001 as Windows does.
 */

/** Value kinds by their .NET RegistryValueKind names, which PowerShell's GetValueKind() returns. */
export type RegistryKind = 'String' | 'ExpandString' | 'DWord' | 'QWord' | 'MultiString' | 'Binary';

export interface RegistryValueState {
  name: string;
  kind: RegistryKind;
  /** DWord/QWord: a number; String/ExpandString: a string; MultiString: strings; Binary: hex. */
  data: number | string | string[];
}

export interface RegistryKeyState {
  /** The key as created: HKEY_LOCAL_MACHINE\SYSTEM\ControlSet001\Services\NDIS\Parameters. */
  path: string;
  values: Record<string, RegistryValueState>;
}

export interface RegistryState {
  keys: Record<string, RegistryKeyState>;
}

const HIVES: Record<string, string> = {
  hklm: 'HKEY_LOCAL_MACHINE',
  hkey_local_machine: 'HKEY_LOCAL_MACHINE',
  hkcu: 'HKEY_CURRENT_USER',
  hkey_current_user: 'HKEY_CURRENT_USER',
  hkcr: 'HKEY_CLASSES_ROOT',
  hkey_classes_root: 'HKEY_CLASSES_ROOT',
  hku: 'HKEY_USERS',
  hkey_users: 'HKEY_USERS',
};

export class RegistryPathError extends Error {}

/** HKLM:\SYSTEM\CurrentControlSet\… → HKEY_LOCAL_MACHINE\SYSTEM\ControlSet001\… */
export function canonicalKeyPath(path: string): string {
  const text = path
    .trim()
    .replace(/^Registry::/i, '')
    .replace(/\//g, '\\')
    .replace(/\\+$/, '');
  const match = /^([A-Za-z_]+):?(?:\\(.*))?$/.exec(text);
  const hive = match ? HIVES[(match[1] as string).toLowerCase()] : undefined;
  if (!match || !hive) {
    throw new RegistryPathError(`The registry path '${path}' does not start with a hive such as HKLM:\\.`);
  }
  const rest = (match[2] ?? '')
    .split('\\')
    .filter((p) => p !== '')
    .map((p, i) =>
      i === 1 && /^CurrentControlSet$/i.test(p) && hive === 'HKEY_LOCAL_MACHINE' ? 'ControlSet001' : p,
    );
  return [hive, ...rest].join('\\');
}

export class GuestRegistry {
  constructor(readonly state: RegistryState) {}

  static empty(): GuestRegistry {
    return new GuestRegistry({ keys: {} });
  }

  private key(path: string): RegistryKeyState | undefined {
    return this.state.keys[canonicalKeyPath(path).toLowerCase()];
  }

  keyExists(path: string): boolean {
    return this.key(path) !== undefined;
  }

  get(path: string, name: string): RegistryValueState | undefined {
    return this.key(path)?.values[name.toLowerCase()];
  }

  /** A DWord/QWord value as a number, or undefined when absent or of another kind. */
  number(path: string, name: string): number | undefined {
    const v = this.get(path, name);
    return v && typeof v.data === 'number' ? v.data : undefined;
  }

  string(path: string, name: string): string | undefined {
    const v = this.get(path, name);
    if (!v) return undefined;
    if (typeof v.data === 'string') return v.data;
    return Array.isArray(v.data) ? v.data.join('\n') : String(v.data);
  }

  /** Creates the key (and its parents) when missing. */
  createKey(path: string): RegistryKeyState {
    const canonical = canonicalKeyPath(path);
    const parts = canonical.split('\\');
    let created: RegistryKeyState | undefined;
    for (let i = 1; i <= parts.length; i += 1) {
      const p = parts.slice(0, i).join('\\');
      created = this.state.keys[p.toLowerCase()] ??= { path: p, values: {} };
    }
    return created as RegistryKeyState;
  }

  set(path: string, name: string, kind: RegistryKind, data: RegistryValueState['data']): void {
    const key = this.createKey(path);
    key.values[name.toLowerCase()] = { name, kind, data };
  }

  deleteValue(path: string, name: string): boolean {
    const key = this.key(path);
    if (!key?.values[name.toLowerCase()]) return false;
    delete key.values[name.toLowerCase()];
    return true;
  }

  deleteKey(path: string): boolean {
    const canonical = canonicalKeyPath(path).toLowerCase();
    const doomed = Object.keys(this.state.keys).filter(
      (k) => k === canonical || k.startsWith(`${canonical}\\`),
    );
    for (const k of doomed) delete this.state.keys[k];
    return doomed.length > 0;
  }

  /** The names of a key's direct subkeys, as created. */
  subkeys(path: string): string[] {
    const canonical = canonicalKeyPath(path).toLowerCase();
    const depth = canonical.split('\\').length;
    return Object.values(this.state.keys)
      .filter(
        (k) => k.path.toLowerCase().startsWith(`${canonical}\\`) && k.path.split('\\').length === depth + 1,
      )
      .map((k) => k.path.split('\\').pop() as string);
  }
}

/** Where the guest model keeps what Windows keeps in the registry. */
export const KEYS = {
  memoryManagement: 'HKLM\\SYSTEM\\CurrentControlSet\\Control\\Session Manager\\Memory Management',
  crashControl: 'HKLM\\SYSTEM\\CurrentControlSet\\Control\\CrashControl',
  ndisParameters: 'HKLM\\SYSTEM\\CurrentControlSet\\Services\\NDIS\\Parameters',
  services: 'HKLM\\SYSTEM\\CurrentControlSet\\Services',
  currentVersion: 'HKLM\\SOFTWARE\\Microsoft\\Windows NT\\CurrentVersion',
} as const;
