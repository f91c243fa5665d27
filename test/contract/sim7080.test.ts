import { modemContract, virtualModem } from "./modem.contract.js";

modemContract("sim7080", virtualModem);
