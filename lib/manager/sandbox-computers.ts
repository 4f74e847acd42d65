/**
 * Which manager computers belong to a sandbox, and how they differ from what the config expects.
 * Matching is on exact display names (`<sandbox>-<cloud>-<vm>-<n>`): `ds-eval-aws-web-10` or
 * `ds-eval-aws-web-1-old` are never taken for `ds-eval-aws-web-1`.
 */
import { parseDisplayName, type ParsedDisplayName } from '../config/names';
import type { Cloud } from '../config/schema';
import type { AgentStatus, Computer } from './model';

/** One computer per ID: the same computer found twice (two searches, or a page boundary moved) counts once. */
export function dedupeById(found: readonly Computer[]): Computer[] {
  const seen = new Set<number>();
  return found.filter((c) => {
    if (c.ID === undefined) return true;
    if (seen.has(c.ID)) return false;
    seen.add(c.ID);
    return true;
  });
}

export interface SandboxComputer extends ParsedDisplayName {
  readonly computer: Computer & { ID: number; displayName: string };
  /** False for a VM or index the config no longer has (a lowered count, a removed VM). */
  readonly inConfig: boolean;
}

/**
 * Every computer of the sandbox on the given clouds: display names of the grammar
 * `<sandbox>-<cloud>-<vm>-<n>` (lib/config/names parseDisplayName), whether or not the config
 * still has that VM or count — those are flagged `inConfig: false`. Look-alikes (`-1-old`,
 * `-01`, another sandbox's names) are not the sandbox's; each computer once, by ID.
 */
export function sandboxComputersOf(
  found: readonly Computer[],
  sandbox: string,
  clouds: readonly Cloud[],
  expectedNames: Iterable<string>,
): SandboxComputer[] {
  const expected = new Set(expectedNames);
  const out: SandboxComputer[] = [];
  for (const c of dedupeById(found)) {
    if (c.ID === undefined || c.displayName === undefined) continue;
    const parsed = parseDisplayName(sandbox, c.displayName);
    if (!parsed || !clouds.includes(parsed.cloud)) continue;
    out.push({ ...parsed, computer: c as SandboxComputer['computer'], inConfig: expected.has(c.displayName) });
  }
  return out;
}

export interface ExpectedEntry {
  readonly displayName: string;
  readonly policyId: number;
}

export type Finding = 'missing' | 'offline' | 'wrong-policy' | 'duplicate' | 'unexpected';

export interface ComputerCheck {
  readonly displayName: string;
  /** The manager's id; absent when missing. */
  readonly computerId?: number;
  readonly expectedPolicyId?: number;
  readonly foundPolicyId?: number;
  readonly agentStatus?: AgentStatus | 'unknown';
  /** Empty when all is well. */
  readonly findings: readonly Finding[];
}

/** Compare what the manager has (found by prefix) with what the config expects. */
export function compareComputers(expected: readonly ExpectedEntry[], listed: readonly Computer[]): ComputerCheck[] {
  const found = dedupeById(listed);
  const byName = new Map<string, Computer[]>();
  for (const c of found) {
    const name = c.displayName ?? '';
    byName.set(name, [...(byName.get(name) ?? []), c]);
  }
  const rows: ComputerCheck[] = [];
  const expectedNames = new Set(expected.map((e) => e.displayName));
  // policyID 0 is "no policy": what an agent that registered itself has until a task assigns one.
  const policyOf = (c: Computer) => (c.policyID !== undefined && c.policyID > 0 ? c.policyID : undefined);
  for (const e of expected) {
    const matches = byName.get(e.displayName) ?? [];
    if (matches.length === 0) {
      rows.push({ displayName: e.displayName, expectedPolicyId: e.policyId, findings: ['missing'] });
      continue;
    }
    for (const c of matches) {
      const findings: Finding[] = [];
      const agentStatus = c.computerStatus?.agentStatus ?? 'unknown';
      if (agentStatus !== 'active') findings.push('offline');
      if (policyOf(c) !== e.policyId) findings.push('wrong-policy');
      if (matches.length > 1) findings.push('duplicate');
      rows.push({ displayName: e.displayName, computerId: c.ID, expectedPolicyId: e.policyId, foundPolicyId: policyOf(c), agentStatus, findings });
    }
  }
  for (const c of found) {
    if (expectedNames.has(c.displayName ?? '')) continue;
    rows.push({
      displayName: c.displayName ?? `(computer ${c.ID})`,
      computerId: c.ID,
      foundPolicyId: policyOf(c),
      agentStatus: c.computerStatus?.agentStatus ?? 'unknown',
      findings: ['unexpected'],
    });
  }
  return rows;
}

/** The computers to delete: exactly those whose display name is one of the expected names. */
export function sandboxComputersIn(found: readonly Computer[], expectedNames: Iterable<string>): Computer[] {
  const names = new Set(expectedNames);
  return found.filter((c) => c.displayName !== undefined && names.has(c.displayName) && c.ID !== undefined);
}
