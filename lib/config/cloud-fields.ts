/**
 * Field checks against each cloud's facts (regions, zones, CIDR limits, instance types), as zod
 * pieces for schema.ts. Kept apart from the schema so the data and its checks live together.
 */
import { z } from 'zod';
import { hostBitsProblem, networkRangeProblem, type PrefixRule } from './cidr';
import { ec2InstanceTypeFinding, gcpMachineTypeFinding, type TypeFinding } from './machine-types';
import { AWS_REGIONS, GCP_REGIONS, GCP_ZONES, awsRegionProblem, gcpRegionProblem, gcpZoneProblem } from './regions';

/** zod's own message for an enum miss; formatIssues lists the options instead of it. */
export const DEFAULT_ENUM_MESSAGE = 'Invalid enum value';

/** An enum of known values (editors complete them from the JSON Schema) whose miss says why. */
function knownValues(values: [string, ...string[]], problem: (given: string) => string) {
  return z.enum(values, {
    errorMap: (issue, ctx) =>
      issue.code === z.ZodIssueCode.invalid_enum_value && typeof ctx.data === 'string' ? { message: problem(ctx.data) } : { message: ctx.defaultError },
  });
}

export const awsRegion = knownValues(AWS_REGIONS, awsRegionProblem);
export const gcpRegion = knownValues(GCP_REGIONS, gcpRegionProblem);
export const gcpZone = knownValues(GCP_ZONES, gcpZoneProblem);

const issueIf = (message: string | undefined, ctx: z.RefinementCtx) => {
  if (message) ctx.addIssue({ code: z.ZodIssueCode.custom, message });
};

/** A VPC or subnet range: prefix limits, host bits, reserved ranges. */
export const networkRange = (rule: PrefixRule) => (value: string, ctx: z.RefinementCtx) => issueIf(networkRangeProblem(value, rule), ctx);

/** A source range (`exposure.adminCidrs[]`): host bits. */
export const sourceRange = (value: string, ctx: z.RefinementCtx) => issueIf(hostBitsProblem(value), ctx);

/** Typos near a known type are errors here; other unknown types are warnings (warnings.ts). */
const noTypo = (finding: (type: string) => TypeFinding | undefined) => (value: string, ctx: z.RefinementCtx) => {
  if (!/^[a-z0-9][a-z0-9.-]*$/.test(value)) return; // the pattern's own error says it
  const f = finding(value);
  issueIf(f?.level === 'error' ? f.message : undefined, ctx);
};
export const ec2InstanceTypeTypo = noTypo(ec2InstanceTypeFinding);
export const gcpMachineTypeTypo = noTypo(gcpMachineTypeFinding);
