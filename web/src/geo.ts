// Small spherical helpers: distances for the detail panel, circles drawn as polygons.

const R = 6_371_008.8; // mean Earth radius (m)
const rad = (d: number) => (d * Math.PI) / 180;
const deg = (r: number) => (r * 180) / Math.PI;

/** Great-circle distance in metres (haversine). */
export function distanceM(lat1: number, lon1: number, lat2: number, lon2: number): number {
  const dLat = rad(lat2 - lat1);
  const dLon = rad(lon2 - lon1);
  const a = Math.sin(dLat / 2) ** 2 + Math.cos(rad(lat1)) * Math.cos(rad(lat2)) * Math.sin(dLon / 2) ** 2;
  return 2 * R * Math.asin(Math.min(1, Math.sqrt(a)));
}

/** Initial bearing from point 1 to point 2, degrees clockwise from north in [0, 360). */
export function bearingDeg(lat1: number, lon1: number, lat2: number, lon2: number): number {
  const y = Math.sin(rad(lon2 - lon1)) * Math.cos(rad(lat2));
  const x =
    Math.cos(rad(lat1)) * Math.sin(rad(lat2)) - Math.sin(rad(lat1)) * Math.cos(rad(lat2)) * Math.cos(rad(lon2 - lon1));
  return (deg(Math.atan2(y, x)) + 360) % 360;
}

/** The point at `distM` metres from (lat, lon) along `bearing` degrees. */
export function destination(lat: number, lon: number, distM: number, bearing: number): [number, number] {
  const d = distM / R;
  const b = rad(bearing);
  const la = Math.asin(Math.sin(rad(lat)) * Math.cos(d) + Math.cos(rad(lat)) * Math.sin(d) * Math.cos(b));
  const lo = rad(lon) + Math.atan2(Math.sin(b) * Math.sin(d) * Math.cos(rad(lat)), Math.cos(d) - Math.sin(rad(lat)) * Math.sin(la));
  return [((deg(lo) + 540) % 360) - 180, deg(la)];
}

/** A circle as a closed GeoJSON ring of `n` vertices, [lon, lat] pairs. */
export function circleRing(lat: number, lon: number, radiusM: number, n = 72): [number, number][] {
  const ring: [number, number][] = [];
  for (let i = 0; i < n; i++) ring.push(destination(lat, lon, radiusM, (360 * i) / n));
  const first = ring[0];
  if (first) ring.push(first);
  return ring;
}
