/**
 * `pnputil` on the simulated guest: /add-driver [/install], /enum-drivers, /delete-driver,
 * /remove-device. Output as Windows 10's pnputil prints it ("Microsoft PnP Utility", "Adding
 * driver package:", "Published Name:", the totals).
 */
import { InfError, type InfPackage, parseInf } from './inf.js';
import { fail, ok, type ToolResult, text } from './tool.js';

export interface DriverPackageState {
  published: string;
  original: string;
  /** The guest path the package was added from. */
  source: string;
  className: string;
  classGuid: string;
  provider: string;
  date: string;
  version: string;
}

export interface DeviceState {
  instanceId: string;
  description: string;
  hardwareIds: string[];
  class: string;
  /** The service (driver) installed on the device, or null. */
  service: string | null;
  present: boolean;
}

export interface PnputilContext {
  readFile(path: string): string | null;
  exists(path: string): boolean;
  packages: DriverPackageState[];
  devices: DeviceState[];
  /** Copies the package's files and creates or updates its services; returns the service names. */
  installServices(inf: InfPackage, infPath: string): void;
  /** Installs a service on a device and starts its driver (a PnP start). */
  installOnDevice(device: DeviceState, service: string): Promise<void>;
  /** Removes a present device; its driver sees a PnP remove (which may never complete). */
  removeDevice(device: DeviceState): Promise<void>;
}

const BANNER = 'Microsoft PnP Utility';

function directoryOf(path: string): string {
  const at = Math.max(path.lastIndexOf('\\'), path.lastIndexOf('/'));
  return at < 0 ? '' : path.slice(0, at);
}

function baseName(path: string): string {
  return path.split(/[\\/]/).pop() ?? path;
}

async function addDriver(infPath: string, install: boolean, ctx: PnputilContext): Promise<ToolResult> {
  const name = baseName(infPath);
  const lines = [BANNER, '', `Adding driver package:  ${name}`];
  const failure = (message: string, code: number) =>
    fail(
      text(
        ...lines,
        `Failed to add driver package: ${message}`,
        '',
        'Total driver packages:  1',
        'Added driver packages:  0',
      ),
      code,
    );
  const content = ctx.readFile(infPath);
  if (content === null) return failure('The system cannot find the file specified.', 2);
  let inf: InfPackage;
  try {
    inf = parseInf(content, name);
  } catch (error) {
    if (error instanceof InfError)
      return failure('The style of the INF is different than what was requested.', 0xe0000205);
    throw error;
  }
  for (const file of inf.files) {
    const path = `${directoryOf(infPath)}\\${file}`;
    if (!ctx.exists(path)) return failure('The system cannot find the file specified.', 2);
  }
  let pkg = ctx.packages.find(
    (p) => p.original.toLowerCase() === name.toLowerCase() && p.version === inf.version,
  );
  const already = pkg !== undefined;
  if (!pkg) {
    pkg = {
      published: `oem${ctx.packages.length + 1}.inf`,
      original: name,
      source: infPath,
      className: inf.className,
      classGuid: inf.classGuid,
      provider: inf.provider,
      date: inf.date,
      version: inf.version,
    };
    ctx.packages.push(pkg);
  }
  lines.push(
    already
      ? 'Driver package added successfully. (Already exists in the system)'
      : 'Driver package added successfully.',
  );
  lines.push(`Published Name:         ${pkg.published}`);
  if (install) {
    ctx.installServices(inf, infPath);
    const service = inf.services[0]?.name;
    for (const device of ctx.devices.filter((d) => d.present)) {
      const match = inf.hardwareIds.some((h) =>
        device.hardwareIds.some((id) => id.toLowerCase() === h.id.toLowerCase()),
      );
      if (!match || !service) continue;
      await ctx.installOnDevice(device, service);
      lines.push(`Driver package installed on device: ${device.instanceId}`);
    }
  }
  lines.push('', 'Total driver packages:  1', 'Added driver packages:  1');
  return ok(text(...lines));
}

function enumDrivers(ctx: PnputilContext): ToolResult {
  const lines = [BANNER, ''];
  for (const p of ctx.packages) {
    lines.push(
      `Published Name:     ${p.published}`,
      `Original Name:      ${p.original}`,
      `Provider Name:      ${p.provider}`,
      `Class Name:         ${p.className}`,
      `Class GUID:         ${p.classGuid}`,
      `Driver Version:     ${p.date} ${p.version}`,
      'Signer Name:        Microsoft Windows Hardware Compatibility Publisher',
      '',
    );
  }
  return ok(text(...lines));
}

/** Runs `pnputil <args>`. */
export async function pnputil(args: readonly string[], ctx: PnputilContext): Promise<ToolResult> {
  const lower = args.map((a) => a.toLowerCase().replace(/^-/, '/'));
  const [command] = lower;
  if (command === '/add-driver' || command === '/a' || (command === '/i' && lower[1] === '/a')) {
    const legacyInstall = command === '/i';
    const rest = args.slice(legacyInstall ? 2 : 1);
    const path = rest.find((a) => !/^[/-]/.test(a));
    if (!path) return fail(text(BANNER, '', 'Invalid command line.'), 87);
    const install = legacyInstall || rest.some((a) => /^[/-]install$/i.test(a));
    return addDriver(path, install, ctx);
  }
  if (command === '/enum-drivers' || command === '/e') return enumDrivers(ctx);
  if (command === '/delete-driver' || command === '/d') {
    const published = args[1];
    const at = ctx.packages.findIndex((p) => p.published.toLowerCase() === published?.toLowerCase());
    if (!published || at < 0) {
      return fail(text(BANNER, '', `Failed to delete driver package: The parameter is incorrect.`), 87);
    }
    ctx.packages.splice(at, 1);
    return ok(text(BANNER, '', 'Driver package deleted successfully.'));
  }
  if (command === '/remove-device') {
    const id = args[1];
    const device = ctx.devices.find((d) => d.present && d.instanceId.toLowerCase() === id?.toLowerCase());
    if (!id || !device) {
      return fail(
        text(
          BANNER,
          '',
          `Removing device:        ${id ?? ''}`,
          'Failed to remove device: The system cannot find the file specified.',
        ),
        2,
      );
    }
    await ctx.removeDevice(device);
    return ok(
      text(BANNER, '', `Removing device:        ${device.instanceId}`, 'Device removed successfully.'),
    );
  }
  return ok(
    text(
      BANNER,
      '',
      'PNPUTIL [/add-driver <...> | /delete-driver <...> | /enum-drivers | /remove-device <...>] [/?]',
    ),
    command === '/?' ? 0 : 87,
  );
}
