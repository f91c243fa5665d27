/**
 * Shared limits and defaults of the command channel (docs/architecture.md, "Contracts"): the one place
 * that says which port IP Commands arrive on, where a device's replies go, how large a payload may be
 * and which modem families exist. Firmware, the virtual modem, the devices, the CLI, the bridge and the
 * mock cloud all import these values instead of writing them again.
 * Device code: ES5-safe, plain constants only (a single-family firmware bundle keeps what it imports).
 */

/** The UDP port IP Commands arrive on at the device, and the port its replies leave from. */
export const DEFAULT_DEVICE_PORT = 6969;

/**
 * The address a Super SIM device sends its IP Command replies (MO datagrams) to: the platform's
 * commands endpoint inside the SIM's private network. The virtual modem maps it to the SIM's `mo`
 * endpoint on the mock network.
 */
export const DEFAULT_MO_HOST = "100.64.0.1";

/** The most octets one IP Command carries, either way (the platform refuses a larger payload). */
export const MAX_IP_PAYLOAD = 1300;

/** One SMS carries at most 140 octets of user data (TS 23.040 §9.2.3.16): 8-bit data is that long at most. */
export const MAX_SMS_OCTETS = 140;
/** ... which is 160 GSM 7-bit septets (TS 23.040 §9.2.3.16, TS 23.038 §6.1.2.1) ... */
export const MAX_SMS_SEPTETS = 160;
/** ... or 70 UCS2 code units (TS 23.038 §6.1.2.4, 2 octets each). */
export const MAX_SMS_UCS2 = 70;
/**
 * A part of a concatenated SMS loses 6 octets to the UDH with the concatenation element (TS 23.040
 * §9.2.3.24.1): 153 septets or 67 UCS2 code units a part.
 */
export const MAX_CONCAT_SEPTETS = 153;
export const MAX_CONCAT_UCS2 = 67;

/** The modem families the drivers, the firmware bundles and the virtual modem know. */
export type ModemFamily = "bg96" | "sim7080" | "sara-r4";
/** Every ModemFamily, for validation and help texts. */
export const MODEM_FAMILIES: ModemFamily[] = ["bg96", "sim7080", "sara-r4"];
