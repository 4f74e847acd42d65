/** Source countries from the bundled GeoIP table (IPv4 and IPv6), offline. */
import { countryOf, GEOIP_ATTRIBUTION } from '../../lib/events/geoip';

describe('countryOf', () => {
  it('finds well-known addresses in their registry country', () => {
    expect(countryOf('1.0.0.1')).toBe('AU');
    expect(countryOf('8.8.8.8')).toBe('US');
    expect(countryOf('2001:4860:4860::8888')).toBe('US');
  });

  it('gives null for private, loopback and non-addresses', () => {
    expect(countryOf('10.0.0.1')).toBeNull();
    expect(countryOf('127.0.0.1')).toBeNull();
    expect(countryOf('not-an-ip')).toBeNull();
  });

  it('credits the data as its licence asks', () => {
    expect(GEOIP_ATTRIBUTION).toContain('nro.net');
  });
});
