import type { GcpOs } from '../config';

/**
 * Public image families per OS (always the family, so a deploy gets the current patched image).
 * Ubuntu 24.04 publishes per-architecture families; 22.04's plain family is x86_64.
 */
export const GCP_IMAGE_FAMILIES: Readonly<Record<GcpOs, string>> = {
  'debian-12': 'debian-cloud/debian-12',
  'ubuntu-22.04': 'ubuntu-os-cloud/ubuntu-2204-lts',
  'ubuntu-24.04': 'ubuntu-os-cloud/ubuntu-2404-lts-amd64',
  'rhel-9': 'rhel-cloud/rhel-9',
  'windows-2022': 'windows-cloud/windows-2022',
};

export function imageFamilyFor(os: string): string {
  const image = (GCP_IMAGE_FAMILIES as Record<string, string>)[os];
  if (!image) {
    throw new Error(`gcp.vms[].os: got "${os}"; allowed: ${Object.keys(GCP_IMAGE_FAMILIES).join(' | ')}`);
  }
  return image;
}
