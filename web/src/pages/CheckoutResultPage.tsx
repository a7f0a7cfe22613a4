import { Placeholder } from "../components/Placeholder";

export default function CheckoutResultPage() {
  return <Placeholder title="Payment" />;
}
