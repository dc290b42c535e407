import { Foundation1795671853739 } from './1795671853739-Foundation.js';
import { Registry1795672488115 } from './1795672488115-Registry.js';
import { AccessLog1795673233310 } from './1795673233310-AccessLog.js';
import { Enrollment1795673547839 } from './1795673547839-Enrollment.js';
import { Compliance1795675381360 } from './1795675381360-Compliance.js';
import { BadgeIn1795675757794 } from './1795675757794-BadgeIn.js';
import { Cluster1795680000000 } from './1795680000000-Cluster.js';
import { AuthFailuresHttpHardening1795690000000 } from './1795690000000-AuthFailuresHttpHardening.js';
import { EvidenceSignatures1795690412000 } from './1795690412000-EvidenceSignatures.js';
import { StaffSignIn1795700000000 } from './1795700000000-StaffSignIn.js';
import { Credentials1795700170000 } from './1795700170000-Credentials.js';
import { OsdpCardReaders1795710000000 } from './1795710000000-OsdpCardReaders.js';
import { DeviceFailover1795720000000 } from './1795720000000-DeviceFailover.js';
import { StaffSingleSignOn1795720500000 } from './1795720500000-StaffSingleSignOn.js';
import { StaffPasskeys1795721500000 } from './1795721500000-StaffPasskeys.js';
import { DegradedMode1795722500000 } from './1795722500000-DegradedMode.js';
import { CustomerAdmins1795723000000 } from './1795723000000-CustomerAdmins.js';
import { AccessRequests1795724000000 } from './1795724000000-AccessRequests.js';
import { Notifications1795725000000 } from './1795725000000-Notifications.js';
import { SiemOutbox1795725200000 } from './1795725200000-SiemOutbox.js';
import { Visitors1795725400000 } from './1795725400000-Visitors.js';
import { PersonNameIndex1795725600000 } from './1795725600000-PersonNameIndex.js';

/** Every migration, oldest first. Never edit one that has landed: add a new one. */
export const MIGRATIONS = [
  Foundation1795671853739,
  Registry1795672488115,
  AccessLog1795673233310,
  Enrollment1795673547839,
  Compliance1795675381360,
  BadgeIn1795675757794,
  Cluster1795680000000,
  AuthFailuresHttpHardening1795690000000,
  EvidenceSignatures1795690412000,
  StaffSignIn1795700000000,
  Credentials1795700170000,
  OsdpCardReaders1795710000000,
  DeviceFailover1795720000000,
  StaffSingleSignOn1795720500000,
  StaffPasskeys1795721500000,
  DegradedMode1795722500000,
  CustomerAdmins1795723000000,
  AccessRequests1795724000000,
  Notifications1795725000000,
  SiemOutbox1795725200000,
  Visitors1795725400000,
  PersonNameIndex1795725600000,
];
