/**
 * EC2 instance types and Compute Engine machine types: a typo near a known type is an error
 * that names the type meant; any other unknown type is a warning (it may be newer than dskit's
 * list; the cloud refuses it at deploy if it does not exist). Lists: lib/config/data/.
 */
import ec2 from './data/ec2-instance-types.json';
import gcp from './data/gcp-machine-types.json';
import { nearest } from './suggest';

export interface TypeFinding {
  readonly level: 'error' | 'warning';
  readonly message: string;
}

const EC2_TYPES = new Set(ec2.types);
const EC2_SOURCE = `the EC2 API model of @aws-sdk/client-ec2 ${ec2.sources['@aws-sdk/client-ec2']}`;

export function ec2InstanceTypeFinding(type: string): TypeFinding | undefined {
  if (EC2_TYPES.has(type)) return undefined;
  const meant = nearest(type, EC2_TYPES);
  if (meant) return { level: 'error', message: `is not an EC2 instance type; did you mean ${JSON.stringify(meant)}?` };
  return { level: 'warning', message: `is not an instance type in ${EC2_SOURCE}; if it is newer, the deploy will tell whether EC2 has it` };
}

interface Family {
  readonly arch: string;
  readonly complete: boolean;
  readonly custom?: boolean;
  readonly sharedCore?: string[];
  readonly classes: Record<string, number[]>;
}
const FAMILIES = gcp.families as Record<string, Family>;

/** Every predefined machine type the list holds. */
export function knownGcpMachineTypes(): Set<string> {
  const out = new Set<string>();
  for (const [name, f] of Object.entries(FAMILIES)) {
    for (const t of f.sharedCore ?? []) out.add(t);
    for (const [cls, sizes] of Object.entries(f.classes)) for (const n of sizes) out.add(`${name}-${cls}-${n}`);
  }
  return out;
}
const GCP_TYPES = knownGcpMachineTypes();

/** The family of a machine type (`e2` of `e2-standard-2`); a bare `custom-2-4096` is N1. */
export const gcpMachineFamily = (type: string): string => (type.startsWith('custom-') ? 'n1' : type.split('-')[0]);

/** CPU architecture of a machine type's family, when the list knows it. */
export const gcpMachineArch = (type: string): string | undefined => FAMILIES[gcpMachineFamily(type)]?.arch;

// Custom machine types: https://cloud.google.com/compute/docs/instances/creating-instance-with-custom-machine-type
const CUSTOM = /^(?:([a-z0-9]+)-)?custom-(?:(?:micro|small|medium)-)?\d+(?:-\d+)?(?:-ext)?$/;

export function gcpMachineTypeFinding(type: string): TypeFinding | undefined {
  if (GCP_TYPES.has(type)) return undefined;
  const custom = CUSTOM.exec(type);
  const family = FAMILIES[gcpMachineFamily(type)];
  if (custom) {
    if (family?.custom) return undefined;
    return { level: 'error', message: `custom machine types exist for ${Object.keys(FAMILIES).filter((f) => FAMILIES[f].custom).join(', ')} only` };
  }
  // A family whose sizes are not all listed: the grammar is all that can be checked.
  if (family && !family.complete && new RegExp(`^${gcpMachineFamily(type)}-(${Object.keys(family.classes).join('|')})-\\d+(-lssd)?$`).test(type)) {
    return undefined;
  }
  const meant = nearest(type, GCP_TYPES);
  if (meant) return { level: 'error', message: `is not a Compute Engine machine type; did you mean ${JSON.stringify(meant)}?` };
  return { level: 'warning', message: `is not a machine type in dskit's list (checked ${gcp.checked}: ${gcp.source}); if it is newer, the deploy will tell whether the zone has it` };
}
