/**
 * The subset of the Deep Security / Workload Security `/api` v1 models that dskit uses, written
 * from Trend Micro's generated-SDK catalogs (Workload Security 50.0.810, DSM 20.0.424). Field
 * names are the wire names: `ID`, `policyID`, `parentID`, `computerStatus.agentStatus`.
 * Every field is optional because searches with `expand` and partial modifies return or take
 * only some of them. What the client returns has been checked against ./schemas.ts (ids there
 * are required); enum-like strings the manager reports (agent status, rule severity) stay open,
 * so a value newer than the catalog is shown as it is rather than refused.
 */

/** A policy or system setting: every value travels as a string. */
export interface SettingValue {
  value?: string;
}

export const AGENT_STATUSES = ['inactive', 'active', 'warning', 'error', 'not-supported'] as const;
/** The catalog's values, or whatever a newer manager reports (shown as it is). */
export type AgentStatus = (typeof AGENT_STATUSES)[number] | (string & {});

export interface ComputerStatus {
  agentStatus?: AgentStatus;
  agentStatusMessages?: string[];
}

export const MODULE_STATES = ['inherited', 'prevent', 'detect', 'off'] as const;
export type IntrusionPreventionState = (typeof MODULE_STATES)[number] | (string & {});

export interface IntrusionPreventionExtension {
  state?: IntrusionPreventionState;
  ruleIDs?: number[];
  applicationTypeIDs?: number[];
}

export interface Computer {
  ID?: number;
  displayName?: string;
  hostName?: string;
  description?: string;
  policyID?: number;
  groupID?: number;
  relayListID?: number;
  platform?: string;
  agentVersion?: string;
  lastAgentCommunication?: number;
  computerStatus?: ComputerStatus;
  intrusionPrevention?: IntrusionPreventionExtension;
}

/** `Policy.policySettings`: setting name → value (hundreds exist; dskit names the few it touches). */
export type PolicySettings = Record<string, SettingValue>;

export interface Policy {
  ID?: number;
  name?: string;
  description?: string;
  parentID?: number;
  intrusionPrevention?: IntrusionPreventionExtension;
  policySettings?: PolicySettings;
}

export interface IntrusionPreventionRule {
  ID?: number;
  name?: string;
  identifier?: string;
  description?: string;
  detectOnly?: boolean;
  /** low | medium | high | critical */
  severity?: string;
  /** custom | smart | vulnerability | exploit | hidden | policy | info */
  type?: string;
  lastUpdated?: number;
  /** When Trend Micro released the rule (ms since epoch); searchable as a date. */
  originalIssue?: number;
  /** Rules the manager assigns along with this one. */
  dependsOnRuleIDs?: number[];
  /** The application type the rule is grouped under (0: none). */
  applicationTypeID?: number;
  CVE?: string[];
}

export interface IntrusionPreventionAssignments {
  assignedRuleIDs?: number[];
  assignedApplicationTypeIDs?: number[];
  recommendedToAssignRuleIDs?: number[];
  recommendedToUnassignRuleIDs?: number[];
  /** none | valid | out-of-date | unknown */
  recommendationScanStatus?: string;
  lastRecommendationScanDate?: number;
}

export interface ApplicationType {
  ID?: number;
  name?: string;
  description?: string;
}

export interface ComputerGroup {
  ID?: number;
  name?: string;
  description?: string;
  parentGroupID?: number;
}

/** `GET /apikeys/current`: who the key is. */
export interface ApiKeyCurrent {
  ID?: number;
  keyName?: string;
  active?: boolean;
  roleID?: number;
  expiryDate?: number;
}

/** `EventBasedTaskCondition`: `field` from hostname, platform, tag, ...; `value` a Java regex. */
export interface EventBasedTaskCondition {
  field: string;
  key?: string;
  value?: string;
}

/** `EventBasedTaskAction`: assign-policy / assign-group / assign-relay take the id in parameterValue. */
export interface EventBasedTaskAction {
  type: 'activate' | 'assign-policy' | 'assign-relay' | 'assign-group' | 'deactivate';
  parameterValue?: number;
}

export interface EventBasedTask {
  ID?: number;
  name?: string;
  /** The event: `agent-initiated-activation`, `computer-created-by-system`, ... */
  type?: string;
  enabled?: boolean;
  conditions?: EventBasedTaskCondition[];
  actions?: EventBasedTaskAction[];
}

/** `SearchCriteria`: exactly one test per criterion. */
export interface SearchCriterion {
  fieldName?: string;
  stringTest?: 'equal' | 'not-equal';
  stringValue?: string;
  /** `%` and `_` are wildcards unless this is false (the manager's default is true). */
  stringWildcards?: boolean;
  numericTest?: NumericTest;
  numericValue?: number;
  booleanTest?: boolean;
  choiceTest?: 'equal' | 'not-equal';
  choiceValue?: string;
  idTest?: NumericTest;
  idValue?: number;
  nullTest?: boolean;
  firstDateValue?: number;
  lastDateValue?: number;
  firstDateInclusive?: boolean;
  lastDateInclusive?: boolean;
}

export type NumericTest = 'less-than' | 'less-than-or-equal' | 'equal' | 'greater-than-or-equal' | 'greater-than' | 'not-equal';

export interface SearchFilter {
  maxItems?: number;
  searchCriteria?: SearchCriterion[];
  sortByObjectID?: boolean;
}

/**
 * The searchable collections and the wrapper key each one's list responses use
 * (`{"computers": [...]}`).
 */
export const COLLECTIONS = {
  computers: 'computers',
  policies: 'policies',
  intrusionpreventionrules: 'intrusionPreventionRules',
  computergroups: 'computerGroups',
  applicationtypes: 'applicationTypes',
  eventbasedtasks: 'eventBasedTasks',
} as const;
export type CollectionPath = keyof typeof COLLECTIONS;

export interface CollectionItem {
  computers: Computer;
  policies: Policy;
  intrusionpreventionrules: IntrusionPreventionRule;
  computergroups: ComputerGroup;
  applicationtypes: ApplicationType;
  eventbasedtasks: EventBasedTask;
}
