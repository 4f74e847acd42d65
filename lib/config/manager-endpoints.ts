import type { ManagerConfig } from './schema';

export interface ManagerEndpoints {
  /** Base URL: API at `<url>/api`, agent packages at `<url>/software/agent/...`. */
  readonly url: string;
  /** Where agents activate and send heartbeats: `dsm://host:port/`. */
  readonly activationUrl: string;
}

/** Workload Security endpoints follow from the region; a DSM names both. `urlOverride` is `--manager-url`. */
export function managerEndpoints(manager: ManagerConfig, urlOverride?: string): ManagerEndpoints {
  const base =
    manager.type === 'dsm'
      ? { url: manager.url, activationUrl: manager.activationUrl }
      : {
          url: `https://workload.${manager.region}.cloudone.trendmicro.com`,
          activationUrl: `dsm://agents.workload.${manager.region}.cloudone.trendmicro.com:443/`,
        };
  return { url: (urlOverride ?? base.url).replace(/\/+$/, ''), activationUrl: base.activationUrl };
}
