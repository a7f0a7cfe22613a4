import { Placeholder } from "../../components/Placeholder";

export default function VerifyEmailPage() {
  return <Placeholder title="Confirm your email" />;
}
