import { Placeholder } from "../../components/Placeholder";

export default function PaymentsPage() {
  return <Placeholder title="Payment events" />;
}
