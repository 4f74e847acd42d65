/**
 * The shape every answer must have before dskit uses it, from the `/api` v1 model catalog
 * (Workload Security 50.0.810, DSM 20.0.424): ids are positive integers, lists are lists, strings
 * are strings. A manager (or a proxy, or a hostile server) that answers otherwise gets one clear
 * error naming the call and the field — never a crash deep in a command (`reading 'keyName'`), and
 * never a PASS for a 200 `"hello"`.
 *
 * Unknown fields are dropped (managers add fields between versions); known fields must have their
 * catalog type. Strings are not limited here: the transport already caps the whole answer.
 */
import { z } from 'zod';
import { MAX_ID } from './paths';

export const idSchema = z.number().int().min(1).max(MAX_ID);
/** A reference to another object, where the catalog uses 0 for "none". */
const refSchema = z.number().int().min(0).max(MAX_ID);
const idList = z.array(idSchema);
const ms = z.number().int();

export const settingValueSchema = z.object({ value: z.string().optional() });

export const computerStatusSchema = z.object({
  agentStatus: z.string().optional(),
  agentStatusMessages: z.array(z.string()).optional(),
});

/** ComputerModuleStatus: how the agent reports a module on this computer. */
const moduleStatusSchema = z.object({
  agentStatus: z.string().optional(),
  agentStatusMessage: z.string().optional(),
});

/** The part every module's computer extension shares (state, assigned rules, status). */
const moduleExtensionSchema = z.object({
  state: z.string().optional(),
  ruleIDs: idList.optional(),
  moduleStatus: moduleStatusSchema.optional(),
});

const ipsExtensionSchema = moduleExtensionSchema.extend({
  applicationTypeIDs: idList.optional(),
});

export const computerSchema = z.object({
  ID: idSchema,
  displayName: z.string().optional(),
  hostName: z.string().optional(),
  description: z.string().optional(),
  policyID: refSchema.optional(),
  groupID: refSchema.optional(),
  relayListID: refSchema.optional(),
  platform: z.string().optional(),
  agentVersion: z.string().optional(),
  lastAgentCommunication: ms.optional(),
  computerStatus: computerStatusSchema.optional(),
  intrusionPrevention: ipsExtensionSchema.optional(),
  // The other modules' extensions and the effective settings (`expand`ed by dskit exercise).
  antiMalware: moduleExtensionSchema.extend({ realTimeScanConfigurationID: refSchema.optional() }).optional(),
  webReputation: moduleExtensionSchema.optional(),
  firewall: moduleExtensionSchema.optional(),
  integrityMonitoring: moduleExtensionSchema.optional(),
  logInspection: moduleExtensionSchema.optional(),
  computerSettings: z.record(settingValueSchema).optional(),
});

/** A rule found by `POST /<rules>/search`: what dskit exercise reads of it (IPS, integrity, log inspection). */
export const ruleSummarySchema = z.object({ ID: idSchema, identifier: z.string().optional() });

/** FirewallRule: the fields that say whether a rule denies dskit exercise's probe. */
export const firewallRuleSchema = z.object({
  ID: idSchema,
  name: z.string().optional(),
  action: z.string().optional(),
  direction: z.string().optional(),
  logDisabled: z.boolean().optional(),
  protocol: z.string().optional(),
  protocolNot: z.boolean().optional(),
  destinationIPType: z.string().optional(),
  destinationIPValue: z.string().optional(),
  destinationIPMask: z.string().optional(),
  destinationIPMultiple: z.array(z.string()).optional(),
  destinationIPNot: z.boolean().optional(),
  destinationPortType: z.string().optional(),
  destinationPortMultiple: z.array(z.string()).optional(),
  destinationPortNot: z.boolean().optional(),
});

export const policySchema = z.object({
  ID: idSchema,
  name: z.string().optional(),
  description: z.string().optional(),
  parentID: refSchema.optional(),
  intrusionPrevention: ipsExtensionSchema.optional(),
  policySettings: z.record(settingValueSchema).optional(),
});

export const ipsRuleSchema = z.object({
  ID: idSchema,
  name: z.string().optional(),
  identifier: z.string().optional(),
  description: z.string().optional(),
  detectOnly: z.boolean().optional(),
  severity: z.string().optional(),
  type: z.string().optional(),
  lastUpdated: ms.optional(),
  originalIssue: ms.optional(),
  dependsOnRuleIDs: idList.optional(),
  applicationTypeID: refSchema.optional(),
  CVE: z.array(z.string()).optional(),
});

/**
 * A policy's override of a rule (`?overrides=true`): only the overridden fields, so no ID
 * required — and every field kept, since which ones are overridden is the point.
 */
export const ipsRuleOverrideSchema = ipsRuleSchema.partial().extend({ ID: idSchema.optional() }).passthrough();

export const ipsAssignmentsSchema = z.object({
  assignedRuleIDs: idList.optional(),
  assignedApplicationTypeIDs: idList.optional(),
  recommendedToAssignRuleIDs: idList.optional(),
  recommendedToUnassignRuleIDs: idList.optional(),
  recommendationScanStatus: z.string().optional(),
  lastRecommendationScanDate: ms.optional(),
});

export const computerGroupSchema = z.object({
  ID: idSchema,
  name: z.string().optional(),
  description: z.string().optional(),
  parentGroupID: refSchema.optional(),
});

export const applicationTypeSchema = z.object({
  ID: idSchema,
  name: z.string().optional(),
  description: z.string().optional(),
});

/** `GET /apikeys/current`: the proof the key works is an API key object with its id. */
export const apiKeyCurrentSchema = z.object({
  ID: idSchema,
  keyName: z.string().optional(),
  active: z.boolean().optional(),
  roleID: refSchema.optional(),
  expiryDate: ms.optional(),
});

/**
 * An event-based task (the catalog's EventBasedTask): what happens to computers on an event such as
 * `agent-initiated-activation`, given conditions (`hostname` matches a Java regex, ...).
 */
export const eventBasedTaskSchema = z.object({
  ID: idSchema,
  name: z.string().optional(),
  type: z.string().optional(),
  enabled: z.boolean().optional(),
  conditions: z.array(z.object({ field: z.string(), key: z.string().optional(), value: z.string().optional() })).optional(),
  actions: z.array(z.object({ type: z.string(), parameterValue: z.number().int().optional() })).optional(),
});

/** Calls whose answer dskit does not read: any JSON, or nothing. */
export const ignoredSchema = z.unknown();

/** `path.to[3].field: message`, for the one-line error. */
export function describeIssue(err: z.ZodError): string {
  const issue = err.issues[0];
  const where = issue.path.reduce<string>((acc, p) => (typeof p === 'number' ? `${acc}[${p}]` : acc ? `${acc}.${p}` : String(p)), '');
  return `${where || 'the answer'}: ${issue.message}`;
}
