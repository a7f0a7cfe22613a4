import { Placeholder } from "../../components/Placeholder";

export default function RefundChoicePage() {
  return <Placeholder title="Choose your refund" />;
}
