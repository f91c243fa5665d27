import { modemContract, virtualModem } from "./modem.contract.js";

modemContract("sara-r4", virtualModem);
