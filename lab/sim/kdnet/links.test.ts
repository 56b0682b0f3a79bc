/**
 * Which endpoint a boot's debug settings make: KDNET with a host IP, port and key, the COM pipe of
 * debugtype Serial, nothing a debugger could reach otherwise.
 */
import { strict as expect } from 'node:assert';
import { describe, it } from 'node:test';
import type { EffectiveDebugSettings } from '../model/debug-link.js';
import type { DebugTarget } from '../ports.js';
import { endpointFor } from './links.js';
import { KdPipeTargetEndpoint } from './pipe.js';
import { KdnetTargetEndpoint } from './target.js';

/** Never asked anything: only which endpoint is made is under test. */
const target = {} as DebugTarget;

function settings(overrides: Partial<EffectiveDebugSettings>): EffectiveDebugSettings {
  return {
    debug: true,
    debugtype: 'NET',
    hostip: '127.0.0.11',
    port: 50011,
    key: '1.2.3.4',
    busparams: null,
    dhcp: true,
    debugport: null,
    baudrate: null,
    loadoptions: null,
    entry: 'Windows 10',
    bootedAt: 0,
    comPipes: { 1: null, 2: null },
    ...overrides,
  };
}

describe('the debug link a boot opens', () => {
  it('is KDNET for debugtype NET with host IP, port and key, and nothing without one of them', () => {
    expect.ok(endpointFor(settings({}), target) instanceof KdnetTargetEndpoint);
    expect.equal(endpointFor(settings({ key: null }), target), null);
    expect.equal(endpointFor(settings({ hostip: null }), target), null);
    expect.equal(endpointFor(settings({ hostip: 'fe80::1' }), target), null);
    expect.equal(endpointFor(settings({ port: null }), target), null);
  });

  it('is the COM port’s pipe for debugtype Serial (COM1 unless debugport says), nothing when the port points nowhere', () => {
    const pipes = { 1: '\\\\.\\pipe\\win11-a_com1', 2: null };
    expect.ok(
      endpointFor(settings({ debugtype: 'Serial', comPipes: pipes }), target) instanceof KdPipeTargetEndpoint,
    );
    expect.equal(endpointFor(settings({ debugtype: 'Serial', debugport: 2, comPipes: pipes }), target), null);
    expect.equal(endpointFor(settings({ debugtype: 'Serial' }), target), null);
  });

  it('is nothing for a local, 1394 or USB debugger', () => {
    for (const debugtype of ['Local', '1394', 'USB'] as const)
      expect.equal(endpointFor(settings({ debugtype }), target), null);
  });
});
