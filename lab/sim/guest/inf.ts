/**
 * Reading a driver INF the way the simulated guest's pnputil needs it: [Version] (class,
 * DriverVer), the models (hardware IDs a PnP package installs on), the services it adds (name,
 * type, start type, binary, load-order group) and the files it needs. %strings% are substituted
 * from [Strings]; `;` starts a comment; names are case-insensitive.
 */

export interface InfService {
  name: string;
  displayName: string;
  /** SERVICE_KERNEL_DRIVER 1, SERVICE_FILE_SYSTEM_DRIVER 2. */
  serviceType: number;
  /** 0 boot, 1 system, 2 auto, 3 demand, 4 disabled. */
  startType: number;
  errorControl: number;
  /** The binary's file name (ServiceBinary = %12%\x.sys → x.sys). */
  binary: string;
  loadOrderGroup: string;
  /** The default instance altitude a minifilter INF registers (HKR,"Instances\…","Altitude"). */
  altitude: string | null;
  /** The name of that instance. */
  instance: string | null;
}

export interface InfPackage {
  className: string;
  classGuid: string;
  provider: string;
  /** DriverVer date, as written (MM/DD/YYYY). */
  date: string;
  version: string;
  /** Hardware IDs of the models, most specific as written; empty for a primitive (non-PnP) package. */
  hardwareIds: { id: string; description: string }[];
  services: InfService[];
  /** Files the package copies ([SourceDisksFiles]). */
  files: string[];
}

export class InfError extends Error {}

type Sections = Map<string, { key: string | null; values: string[] }[]>;

function splitValues(text: string): string[] {
  const out: string[] = [];
  let current = '';
  let quoted = false;
  for (const ch of text) {
    if (ch === '"') quoted = !quoted;
    else if (ch === ',' && !quoted) {
      out.push(current.trim());
      current = '';
    } else current += ch;
  }
  out.push(current.trim());
  return out;
}

function stripComment(line: string): string {
  let quoted = false;
  for (let i = 0; i < line.length; i += 1) {
    const ch = line[i];
    if (ch === '"') quoted = !quoted;
    else if (ch === ';' && !quoted) return line.slice(0, i);
  }
  return line;
}

function readSections(text: string): Sections {
  const sections: Sections = new Map();
  let current: { key: string | null; values: string[] }[] | undefined;
  for (const raw of text.replace(/^\uFEFF/, '').split(/\r?\n/)) {
    const line = stripComment(raw).trim();
    if (line === '') continue;
    const header = /^\[([^\]]+)\]$/.exec(line);
    if (header) {
      const name = (header[1] as string).trim().toLowerCase();
      current = sections.get(name) ?? [];
      sections.set(name, current);
      continue;
    }
    if (!current) continue;
    const eq = line.indexOf('=');
    if (eq < 0) current.push({ key: null, values: splitValues(line) });
    else current.push({ key: line.slice(0, eq).trim(), values: splitValues(line.slice(eq + 1)) });
  }
  return sections;
}

export function parseInf(text: string, fileName: string): InfPackage {
  const sections = readSections(text);
  const strings = new Map<string, string>();
  for (const entry of sections.get('strings') ?? []) {
    if (entry.key) strings.set(entry.key.toLowerCase(), entry.values.join(','));
  }
  const expand = (v: string) =>
    v.replace(/%([^%]+)%/g, (all, name: string) => strings.get(name.toLowerCase()) ?? all);
  const get = (section: string, key: string): string | undefined => {
    const entry = sections
      .get(section.toLowerCase())
      ?.find((e) => e.key?.toLowerCase() === key.toLowerCase());
    return entry ? expand(entry.values.join(',')) : undefined;
  };
  if (!sections.has('version')) throw new InfError(`The INF '${fileName}' has no [Version] section.`);
  const signature = get('Version', 'Signature') ?? '';
  if (!/\$(WINDOWS NT|Chicago)\$/i.test(signature))
    throw new InfError(`The INF '${fileName}' has no valid signature.`);
  const [date = '', version = ''] = splitValues(get('Version', 'DriverVer') ?? '');

  const hardwareIds: InfPackage['hardwareIds'] = [];
  const installSections = new Set<string>();
  for (const entry of sections.get('manufacturer') ?? []) {
    const [modelsBase, ...decorations] = entry.values.map(expand);
    if (!modelsBase) continue;
    const names = [modelsBase, ...decorations.map((d) => `${modelsBase}.${d}`)];
    for (const name of names) {
      for (const model of sections.get(name.toLowerCase()) ?? []) {
        const [install, ...ids] = model.values.map(expand);
        if (install) installSections.add(install);
        for (const id of ids) if (id) hardwareIds.push({ id, description: expand(model.key ?? '') });
      }
    }
  }
  // A primitive (non-PnP) package installs through DefaultInstall.
  for (const name of sections.keys()) if (name.startsWith('defaultinstall')) installSections.add(name);

  const services: InfService[] = [];
  for (const [name, entries] of sections) {
    if (!name.endsWith('.services')) continue;
    for (const entry of entries) {
      if (entry.key?.toLowerCase() !== 'addservice') continue;
      const [serviceName = '', , serviceSection = ''] = entry.values.map(expand);
      const read = (k: string) => get(serviceSection, k);
      const binaryPath = read('ServiceBinary') ?? '';
      const { altitude, instance } = readInstance(sections, serviceSection, expand);
      services.push({
        name: serviceName,
        displayName: read('DisplayName') ?? serviceName,
        serviceType: Number(read('ServiceType') ?? 1),
        startType: Number(read('StartType') ?? 3),
        errorControl: Number(read('ErrorControl') ?? 1),
        binary: binaryPath.split('\\').pop() ?? binaryPath,
        loadOrderGroup: read('LoadOrderGroup') ?? '',
        altitude,
        instance,
      });
    }
  }
  const files = (sections.get('sourcedisksfiles') ?? [])
    .concat(sections.get('sourcedisksfiles.amd64') ?? [])
    .map((e) => e.key ?? e.values[0] ?? '')
    .filter((f) => f !== '');
  return {
    className: get('Version', 'Class') ?? '',
    classGuid: get('Version', 'ClassGuid') ?? '',
    provider: get('Version', 'Provider') ?? '',
    date,
    version,
    hardwareIds,
    services,
    files,
  };
}

function readInstance(
  sections: Sections,
  serviceSection: string,
  expand: (v: string) => string,
): { altitude: string | null; instance: string | null } {
  const addReg = sections
    .get(serviceSection.toLowerCase())
    ?.find((e) => e.key?.toLowerCase() === 'addreg')
    ?.values.map(expand);
  for (const regSection of addReg ?? []) {
    for (const line of sections.get(regSection.toLowerCase()) ?? []) {
      const values = line.values.map(expand);
      if (values[2]?.toLowerCase() === 'altitude' && values[4]) {
        const instance = /^Instances\\(.+)$/i.exec(values[1] ?? '')?.[1] ?? null;
        return { altitude: values[4], instance };
      }
    }
  }
  return { altitude: null, instance: null };
}
