/**
 * Addresses ↔ symbols over the kernel's loaded modules: what `k`, `ln`, `u` and `!analyze` print
 * for an address, and where a symbol (nt!MiChargeCommitmentFailures, NDIS!ndisTrackNblOwner) is.
 */
import { addr, bare } from './hex.js';
import { type FunctionSymbol, type ImageLayout, NT, SYSTEM_IMAGES, sortedFunctions } from './layout.js';
import type { KernelState, Module, Site } from './state.js';

const LAYOUTS = new Map<string, ImageLayout>(
  [NT, ...SYSTEM_IMAGES].map((layout) => [layout.module.toLowerCase(), layout]),
);

/** The image layout of a module with public symbols, if the model knows its inside. */
export function layoutOf(module: string): ImageLayout | undefined {
  return LAYOUTS.get(module.toLowerCase());
}

export function moduleNamed(state: KernelState, name: string): Module | undefined {
  const lower = name.toLowerCase();
  return state.modules.find((m) => m.name.toLowerCase() === lower || m.image.toLowerCase() === lower);
}

export function moduleAt(state: KernelState, address: bigint): Module | undefined {
  return state.modules.find((m) => {
    const base = addr(m.base);
    return address >= base && address < base + BigInt(m.size);
  });
}

/** The address of a code site. */
export function siteAddress(state: KernelState, site: Site): bigint {
  if ('raw' in site) return addr(site.raw);
  const module = moduleNamed(state, site.module);
  if (!module) return 0n;
  const fn = site.fn ? layoutOf(module.name)?.functions.find((f) => f.name === site.fn) : undefined;
  return addr(module.base) + BigInt((fn?.rva ?? 0) + site.offset);
}

export interface Resolved {
  module: Module;
  fn: FunctionSymbol | null;
  /** Offset from the function (or from the module base when there is no function). */
  offset: number;
}

export function resolve(state: KernelState, address: bigint): Resolved | null {
  const module = moduleAt(state, address);
  if (!module) return null;
  const rva = Number(address - addr(module.base));
  const layout = module.symbols === 'pdb' ? layoutOf(module.name) : undefined;
  const fn = layout?.functions.find((f) => rva >= f.rva && rva < f.rva + f.size) ?? null;
  return { module, fn, offset: fn ? rva - fn.rva : rva };
}

/** "nt!KeBugCheckEx", "nt!MmAccessFault+0x55b", "myfault+0x14eb", "nt! ?? ::FNODOBFM::`string'+0x33c2b". */
export function symbolName(resolved: Resolved, withOffset = true): string {
  const { module, fn, offset } = resolved;
  if (!fn) return offset === 0 || !withOffset ? module.name : `${module.name}+0x${bare(offset)}`;
  const sep = fn.name.startsWith('??') ? '! ' : '!';
  const base = `${module.name}${sep}${fn.name}`;
  return offset === 0 || !withOffset ? base : `${base}+0x${bare(offset)}`;
}

/** The symbol of an address as `k` prints it, or null outside every module. */
export function symbolAt(state: KernelState, address: bigint): string | null {
  const resolved = resolve(state, address);
  return resolved ? symbolName(resolved) : null;
}

/** The functions of the module around an address: the one containing it (or before it) and the next. */
export function neighbours(
  state: KernelState,
  address: bigint,
): { module: Module; before: FunctionSymbol | null; after: FunctionSymbol | null } | null {
  const module = moduleAt(state, address);
  if (!module) return null;
  const layout = module.symbols === 'pdb' ? layoutOf(module.name) : undefined;
  if (!layout) return { module, before: null, after: null };
  const rva = Number(address - addr(module.base));
  const sorted = sortedFunctions(layout);
  let before: FunctionSymbol | null = null;
  let after: FunctionSymbol | null = null;
  for (const fn of sorted) {
    if (fn.rva <= rva) before = fn;
    else if (!after) after = fn;
  }
  return { module, before, after };
}

/** Resolves "nt!Name", "NDIS!name", "nt", "myfault" to an address; null when unknown. */
export function lookupSymbol(state: KernelState, text: string): bigint | null {
  const bang = text.indexOf('!');
  if (bang < 0) {
    const module = moduleNamed(state, text);
    return module ? addr(module.base) : null;
  }
  const module = moduleNamed(state, text.slice(0, bang));
  if (!module) return null;
  const name = text.slice(bang + 1).trim();
  const layout = layoutOf(module.name);
  if (!layout || module.symbols !== 'pdb') return null;
  const lower = name.toLowerCase();
  const fn = layout.functions.find((f) => f.name.toLowerCase() === lower);
  if (fn) return addr(module.base) + BigInt(fn.rva);
  const data = layout.data.find((d) => d.name.toLowerCase() === lower);
  if (data) return addr(module.base) + BigInt(data.rva);
  return null;
}
