// The API's DTOs as the console reads them (see crates/server/src/routes/*.rs). Optional fields are those
// the server may add later or leaves out for some roles; the console shows "—" for what it does not get.

export type Role = 'admin' | 'operator' | 'viewer';

export interface Me {
  id: number;
  name: string;
  role: Role;
}

export interface SensorSeen {
  name: string;
  rssi_dbm?: number | null;
  last_seen?: string | null;
}

export interface Track {
  id: number;
  uas_id: string | null;
  key: string;
  lat: number | null;
  lon: number | null;
  /** Altitude above mean sea level (m). */
  alt_m: number | null;
  operator_lat: number | null;
  operator_lon: number | null;
  home_lat: number | null;
  home_lon: number | null;
  transports: string[];
  sensors: string[];
  first_seen: string;
  last_seen: string;
  detections: number;
  state: 'active' | 'lost' | 'closed' | string;
  // Richer fields, read when the server sends them.
  /** Height above the take-off point (m). */
  height_m?: number | null;
  speed_mps?: number | null;
  heading_deg?: number | null;
  climb_mps?: number | null;
  model?: string | null;
  operator_id?: string | null;
  registration?: string | null;
  session_id?: string | null;
  dji_serial?: string | null;
  self_id?: string | null;
  /** What the pilot position is: takeoff, live, fixed (null for roles without pilot rights). */
  pilot_kind?: string | null;
  ua_type?: string | null;
  auth_pages?: number | null;
  last_reported?: string | null;
  height_agl_m?: number | null;
  alt_geo_m?: number | null;
  alt_baro_m?: number | null;
  allowlisted?: boolean | null;
  /** Per-sensor signal level: an array of {name, rssi_dbm} or an object {name: dBm}. */
  sensors_seen?: SensorSeen[] | Record<string, number | null> | null;
}

export interface Alert {
  id: number;
  kind: string;
  zone: number | null;
  track: number | null;
  time: string;
  details: Record<string, unknown> | null;
  ack_by: string | null;
  ack_at: string | null;
}

export interface Sensor {
  id: number;
  name: string;
  status: 'online' | 'stale' | 'offline' | 'degraded' | string;
  detections_stored: number;
  last_heartbeat: string | null;
  lat: number | null;
  lon: number | null;
  alt_m: number | null;
  counters: Record<string, unknown> | null;
  software_version: string | null;
}

export interface Zone {
  id: number;
  name: string;
  restriction: string;
  lower_m: number | null;
  upper_m: number | null;
  radius_m: number | null;
  created: string;
  feature: GeoJSON.Feature;
  /** The schedule in GeoJSON form (`[]`: always), whatever the zone was defined in; null if unreadable. */
  schedule: SchedulePeriod[] | null;
  /** Whether the schedule applies now (server clock). */
  active_now: boolean;
}

/** A daily window in local time at a fixed UTC offset (GeoJSON `properties.schedule[i].windows[k]`). */
export interface ScheduleWindow {
  days: ('mon' | 'tue' | 'wed' | 'thu' | 'fri' | 'sat' | 'sun')[];
  /** HH:MM, inclusive. */
  from: string;
  /** HH:MM, exclusive; before `from`: past midnight; equal: all day. */
  to: string;
  utc_offset_min?: number;
}

/** An applicability period: optional RFC 3339 start (inclusive) and end (exclusive), optional windows. */
export interface SchedulePeriod {
  start?: string;
  end?: string;
  windows?: ScheduleWindow[];
}

export interface PathPoint {
  time: string;
  lat: number;
  lon: number;
  alt_m: number | null;
}

export interface ConsoleConfig {
  tile_url: string | null;
}

export interface Lists {
  allowlist: string[];
  watchlist: string[];
}
